"""Search as a user meets it: over HTTP, one gunicorn worker, every request distinct.

    .venv/bin/python benchmarks/search_http.py --database-url sqlite:////tmp/search_http.sqlite3
    .venv/bin/python benchmarks/search_http.py \\
        --database-url postgres://postgres@127.0.0.1:5432/portal_search_http_bench

The catalog is `manage.py generate_catalog --services 100 --codes-per-service 1000` (the
real import path; `--services`/`--codes-per-service` change it), made once per database and
reused while it has that size. gunicorn runs with the production settings and one worker;
each query is asked `--repeats` times with another `per_page`, so no answer is replayed
from a cache; what is timed is the whole request, from the client. Queries of every kind a
user types: codes (some misspelt), common and rare words, statuses, filters, pasted
messages with other values, vague phrases. Prints each query's median and the p50/p95
of all requests.

`--against DIR` compares with another checkout of the portal (a `git worktree` of an
earlier commit): a second worker runs its code on the same database, and each request
goes to both, in turn, so that a machine whose speed drifts (shared CPUs) slows both
alike. Prints both columns.

Writes only to its own database: a SQLite file that is not db.sqlite3, or a PostgreSQL
database whose name ends in `_bench`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from benchmarks.drift_bench import manage
from benchmarks.plan import ROOT, SECRET_KEY
from benchmarks.proxy import stop
from benchmarks.relevance import create_database
from benchmarks.report import machine
from benchmarks.run import free_port, wait_until_up

# The kinds of query the issue names, with cases of each written for this corpus (its
# resources, problems and message templates: errors/catalog/synthetic.py).
QUERIES: dict[str, list[str]] = {
    "exact code": ["INVOICE_NOT_FOUND", "webhook_limit_exceeded", "ClusterTimeout"],
    "misspelt code": ["INVOICE_NOT_FUOND", "webhok_limit_exceeded", "ClusterTimout"],
    "common words": ["not found", "conflict", "payment", "quota", "already exists"],
    "two words": ["validation failed", "timeout upstream", "rate limit"],
    "status": ["429", "404 not found", "status:409 conflict"],
    "service filter": ["service:svc-001 invalid", "service:svc-042 locked"],
    "pasted message": [
        "weight must be between 3 and 612",
        "invoice inv_00ab12cd34 not found",
        "limit of 40 uploads per minute exceeded",
        "cannot transition order from ACTIVE to CLOSED",
    ],
    "vague phrase": [
        "my key is not allowed to write",
        "the file I sent was too big",
        "someone else changed the record before me",
        "the export took too long",
    ],
}


def database_env(url: str, workdir: Path) -> dict[str, str]:
    """The environment of the portal's commands on the benchmark's own database."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme.startswith("postgres"):
        if not parsed.path.rstrip("/").endswith("_bench"):
            raise SystemExit("Use a PostgreSQL database whose name ends in _bench.")
        create_database(parsed, parsed.path.lstrip("/"))
    elif Path(parsed.path).resolve() == (ROOT / "db.sqlite3").resolve():
        raise SystemExit("Refusing to benchmark on the development database db.sqlite3.")
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_DEBUG": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_STATIC_MANIFEST": "0",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
    }


def ensure_catalog(env: dict[str, str], services: int, per_service: int) -> None:
    """Migrate, and generate the catalog unless it is already there at this size."""
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    count = manage(
        env, "shell", "-c", "from errors.models import ErrorCode; print(ErrorCode.objects.count())"
    )
    if int(count.strip().splitlines()[-1]) == services * per_service:
        return
    manage(env, "flush", "--no-input")
    print(f"generating {services * per_service} codes ...", file=sys.stderr, flush=True)
    print(
        manage(
            env, "generate_catalog", "--services", str(services),
            "--codes-per-service", str(per_service),
        ).strip(),
        file=sys.stderr,
    )  # fmt: skip
    manage(
        env,
        "shell",
        "-c",
        "from django.db import connection; connection.cursor().execute('ANALYZE')",
    )


def time_queries(ports: list[int], repeats: int) -> list[dict[str, list[float]]]:
    """Each query `repeats` times, each time with another page size, on each server in
    turn (the first first on even rounds, last on odd ones): milliseconds, per server."""
    timings: list[dict[str, list[float]]] = [{} for _ in ports]
    every = [text for texts in QUERIES.values() for text in texts]
    for port in ports:
        for text in every:  # warm: the worker's caches, as after its first minutes
            ask(port, text, 99)
    for round_ in range(repeats):
        for text in every:
            order = list(enumerate(ports))
            for number, port in order if round_ % 2 == 0 else order[::-1]:
                started = time.perf_counter()
                ask(port, text, 10 + round_)
                timings[number].setdefault(text, []).append((time.perf_counter() - started) * 1000)
    return timings


def start_server(root: Path, env: dict[str, str], log: IO[str]) -> tuple[int, subprocess.Popen]:
    """One gunicorn worker of the portal checked out at `root`, and its port."""
    port = free_port()
    server_env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_MAX_REQUESTS": "0",
        "GUNICORN_LOG_LEVEL": "warning",
        "PYTHONPATH": str(root),
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "portal.wsgi"],
        cwd=root, env=server_env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
    return port, server


def ask(port: int, text: str, per_page: int) -> None:
    query = urllib.parse.urlencode({"q": text, "per_page": per_page})
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/errors/?{query}") as answer:
        answer.read()
        if answer.status != 200:
            raise SystemExit(f"{text!r}: HTTP {answer.status}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--codes-per-service", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--against", type=Path, help="another checkout of the portal, asked in turn"
    )
    options = parser.parse_args()
    roots = [ROOT, *([options.against.resolve()] if options.against else [])]
    with tempfile.TemporaryDirectory(prefix="search-http-") as folder:
        workdir = Path(folder)
        env = database_env(options.database_url, workdir)
        ensure_catalog(env, options.services, options.codes_per_service)
        with (workdir / "gunicorn.log").open("w") as log:
            servers: list[subprocess.Popen] = []
            try:
                ports = []
                for root in roots:
                    port, server = start_server(root, env, log)
                    ports.append(port)
                    servers.append(server)
                timings = time_queries(ports, options.repeats)
            finally:
                for server in servers:
                    stop(server, timeout=30)
    vendor = "PostgreSQL" if options.database_url.startswith("postgres") else "SQLite"
    codes = options.services * options.codes_per_service
    print(f"{vendor}, {codes} codes (generate_catalog), one gunicorn worker, {machine()}")
    if options.against:
        print(f"median ms: this checkout, then {options.against} (asked in turn)")
    print(f"{'kind':<15} {'query':<48} {'median ms':>9}")
    for kind, texts in QUERIES.items():
        for text in texts:
            medians = "".join(f"{statistics.median(t[text]):>9.1f}" for t in timings)
            print(f"{kind:<15} {text:<48} {medians}")
    for root, server_timings in zip(roots, timings, strict=True):
        every = [ms for values in server_timings.values() for ms in values]
        print(
            f"all {len(every)} requests: p50 {statistics.median(every):.1f} ms, "
            f"p95 {percentile(every, 0.95):.1f} ms, max {max(every):.1f} ms"
            + (f" ({root})" if options.against else "")
        )


if __name__ == "__main__":
    main()
