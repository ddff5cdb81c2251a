"""What each worker keeps per service and catalog version, built once in gunicorn's master
before it forks the workers (gunicorn.conf.py, with the app preloaded).

identify's matchers take a build proportional to the catalog (about 20 s at a million
codes on 2 cores). Built in the master, every worker starts with them, shared copy-on-write, and
rebuilds only the services written since; a worker replaced by `max_requests` or after a
crash starts as fast.
"""

from __future__ import annotations

import gc
import logging
import time

from django.db import DatabaseError, connections

from errors.identify import matchers


def warm_worker_caches(log: logging.Logger) -> None:
    """Build identify's matchers; a database that cannot be read leaves the workers to
    build them on first use. The master's connections are closed before any fork."""
    started = time.perf_counter()
    try:
        built = matchers()
    except DatabaseError as exc:
        log.warning("identify's matchers not built before forking: %s", exc)
    else:
        took = time.perf_counter() - started
        log.info("identify's matchers built for %d services in %.1f s", len(built), took)
    finally:
        connections.close_all()
    # Objects made before the fork are never collected: a collection in a worker would
    # write to every shared page and copy it.
    gc.freeze()
