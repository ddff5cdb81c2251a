"""What each worker keeps per service and catalog version, built once in gunicorn's master
before it forks the workers (gunicorn.conf.py, with the app preloaded).

identify's matchers take a build proportional to the catalog (about 20 s at a million
codes on 2 cores). Built in the master, every worker starts with them, shared copy-on-write, and
rebuilds only the services written since; a worker replaced by `max_requests` or after a
crash starts as fast.

What a process loads on its first requests is loaded there too, so that every worker
starts with it: the URLconf, which Django imports on the first request, and with it the
API's views and the MCP SDK (0.64 s that each new worker's first request waited, at every
`max_requests` recycling); the portal's templates, which its first page compiled (about
50 ms); the Pygments lexers of the example languages; and search's vocabulary of the
catalog version (service names, synonyms), which its first search read.
"""

from __future__ import annotations

import gc
import logging
import time
from pathlib import Path

from django.db import DatabaseError, connections
from django.template import engines
from django.urls import get_resolver

from errors.identify import matchers
from errors.markdown import load_lexers
from errors.search.query import vocabulary


def warm_worker_caches(log: logging.Logger) -> None:
    """Load the URLconf and templates, build identify's matchers and read search's
    vocabulary; a database that cannot be read leaves the workers to build them on first
    use. The master's connections are closed before any fork.

    A URLconf or a template that does not load stops the boot, with its error: the
    workers would have failed every request that needs it (tests compile every template
    the same way)."""
    load_urlconf()
    load_templates()
    load_lexers()
    started = time.perf_counter()
    try:
        built = matchers()
        vocabulary()
    except DatabaseError as exc:
        log.warning("identify's matchers or search's vocabulary not read before forking: %s", exc)
    else:
        took = time.perf_counter() - started
        log.info("identify's matchers built for %d services in %.1f s", len(built), took)
    finally:
        connections.close_all()
    # Objects made before the fork are never collected: a collection in a worker would
    # write to every shared page and copy it.
    gc.freeze()


def load_urlconf() -> None:
    """Import the URLconf and the views it names, and build its reverse lookup, as a
    process's first request and first `reverse()` would."""
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 (a cached property: reading it imports the views)
    resolver.reverse_dict  # noqa: B018 (likewise: built on first use)


def load_templates() -> None:
    """Compile the portal's own templates (its `DIRS`, not every app's), which Django's
    cached loader then keeps for the life of the process."""
    for engine in engines.all():
        for folder in getattr(engine, "dirs", []):
            for path in sorted(Path(folder).rglob("*.html")):
                engine.get_template(path.relative_to(folder).as_posix())
