"""The benchmark suite of issue 7, in one command; prints a table of the figures.

    .venv/bin/python benchmarks/run.py                # the full run (about 10 minutes)
    .venv/bin/python benchmarks/run.py --quick        # small sizes, 2 s runs: under a minute
    .venv/bin/python benchmarks/run.py --only import,identify,page \\
        --database-url sqlite:////tmp/portal_bench.sqlite3

What it measures, each on its own scratch database (never db.sqlite3; PostgreSQL
databases whose names end in `_bench`, dropped and created again):

- import: `manage.py generate_catalog --services 100 --codes-per-service 1000` (the real
  import path) under `/usr/bin/time -v`: seconds, peak memory, and the CPU seconds of the
  importer, its worker and a local PostgreSQL. This also fills the main database (with
  the six demo catalogs) that every other part reads.
- identify: `errors.identify.identify()` in-process on bodies built from the synthetic
  catalogs: a code field, a message only (its numbers changed), status only.
- page: a service page of 1,000 codes through Django's test client: server time (warm,
  median), queries, bytes (plain and gzip).
- startup: gunicorn with one worker started on the catalog as it is: its boot, then the
  first code page, lookup, identify and search it answers (each builds what it keeps per
  worker and catalog version), and its memory after.
- search_http: benchmarks/search_http.py's queries (codes, words, statuses, filters,
  pasted messages, vague phrases) over HTTP on the main catalog, one worker, 7 rounds
  with another page size each: p50, p95 and each kind's median.
- api: gunicorn with the production settings (gunicorn.conf.py, DJANGO_DEBUG=0,
  collectstatic with the manifest storage) answers wrk, rotating over many codes:
  lookup and code detail against a static JSON file of the same size served by the same
  gunicorn through WhiteNoise, alternated round by round; identify POSTed.
- proxy: code-detail API reads, code pages and service pages through nginx's cache
  (deploy/nginx-cache.conf, revalidated per catalog version) against gunicorn direct,
  alternated round by round.
- load: the load test of issue 6: wrk at saturation for 60 s over a mix of pages,
  lookups, searches and identifies; status codes counted.
- memory: VmRSS of each gunicorn worker after all of the above.
- search: benchmarks/search_bench.py's catalog and query mix at 10,000 and 100,000
  codes, SQLite and PostgreSQL.

Only 127.0.0.1 is contacted; every loop is bounded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from benchmarks.plan import (
    API_READS,
    FULL,
    PARTS,
    PROXIED_READS,
    QUICK,
    RESULT_MARK,
    ROOT,
    ROTATE_LUA,
    SECRET_KEY,
    Run,
)
from benchmarks.processes import (
    database_cpu_seconds,
    grandchildren_cpu_seconds,
    rss_mb,
    tree_rss_kb,
    worker_pids,
)
from benchmarks.proxy import NGINX, nginx, stop
from benchmarks.report import machine, table
from benchmarks.tasks import TASKS, setup_django

# --------------------------------------------------------------------------- databases


def scratch_database(url: str, workdir: Path) -> str:
    """A fresh, empty database for `url`: PostgreSQL `*_bench` dropped and created, or a
    SQLite file removed; refuses anything that could be real data."""
    parsed = urlparse(url)
    if parsed.scheme.startswith("postgres"):
        name = parsed.path.lstrip("/")
        if not re.fullmatch(r"[a-z0-9_]+_bench", name):
            raise SystemExit(f"Use a PostgreSQL database whose name ends in _bench, not {name!r}.")
        import psycopg

        admin = parsed._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {name}")
        return url
    if parsed.scheme != "sqlite":
        raise SystemExit(f"--database-url must be postgres://... or sqlite:///..., not {url!r}.")
    path = Path(parsed.path) if parsed.path not in ("", "/") else workdir / "bench.sqlite3"
    if path.resolve() == (ROOT / "db.sqlite3").resolve():
        raise SystemExit("Refusing to benchmark on the development database db.sqlite3.")
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def flush_redis(url: str) -> None:
    """Empty the scratch Redis database, so no answer cached by an earlier run is read."""
    if not url:
        return
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()


def manage(run: Run, *arguments: str) -> str:
    """Run manage.py with the benchmark environment; its output, or exit on failure."""
    return checked([sys.executable, "manage.py", *arguments], run.env)


def checked(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout + result.stderr


def in_process(run: Run, task: str, **arguments: object) -> dict:
    """Run one in-process measurement in a fresh interpreter set up on the main database
    (Django can only be configured once per process)."""
    command = [sys.executable, str(Path(__file__)), "--task", task, "--task-args"]
    output = checked([*command, json.dumps(arguments)], run.env)
    for line in reversed(output.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    sys.exit(f"{task} printed no result:\n{output}")


# --------------------------------------------------------------------------- import


def measure_import(run: Run) -> None:
    """migrate, collectstatic, the demo catalogs, then the synthetic catalogs timed."""
    manage(run, "migrate", "--no-input", "--verbosity", "0")
    manage(run, "collectstatic", "--no-input", "--verbosity", "0")
    manage(run, "load_demo")
    sizes = run.sizes
    command = [
        "/usr/bin/time", "-v", sys.executable, "manage.py", "generate_catalog",
        "--services", str(sizes.services), "--codes-per-service", str(sizes.codes_per_service),
    ]  # fmt: skip
    # /usr/bin/time's peak is the command's own; a large import also runs a worker
    # process, so the whole tree's resident memory is sampled as well, and its CPU.
    tree_peak_kb = 0
    workers_cpu: dict[int, float] = {}
    database_before = database_cpu_seconds(run.options.database_url)
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=run.env, stdout=log, stderr=log)
        while process.poll() is None:
            tree_peak_kb = max(tree_peak_kb, tree_rss_kb(process.pid))
            workers_cpu.update(grandchildren_cpu_seconds(process.pid))
            time.sleep(0.25)
        log.seek(0)
        output = log.read()
    database_after = database_cpu_seconds(run.options.database_url)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{output}")
    seconds = float(found(r"Imported \d+ codes in \d+ services in ([\d.]+) s", output))
    peak_kb = int(found(r"Maximum resident set size \(kbytes\): (\d+)", output))
    wall = found(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", output)
    # The command's CPU (user and system) counts its worker's, once it has reaped it.
    command_cpu = sum(
        float(found(rf"{kind} time \(seconds\): ([\d.]+)", output)) for kind in ("User", "System")
    )
    worker = sum(workers_cpu.values())
    run.results["import"] = {
        "codes": sizes.services * sizes.codes_per_service,
        "seconds": seconds,
        "wall": wall,
        "peak_mb": peak_kb / 1024,
        "tree_peak_mb": max(tree_peak_kb, peak_kb) / 1024,
        "cpu": {
            "importer": command_cpu - worker,
            "worker": worker,
            "database": None
            if database_before is None or database_after is None
            else database_after - database_before,
        },
    }


# --------------------------------------------------------------------------- gunicorn


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(run: Run, port: int, workers: int = 0):
    """gunicorn as configured for production, on 127.0.0.1:`port`, until the block ends
    (`workers`: one per core, at least 2, unless given)."""
    env = {
        **run.env,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers or max(2, os.cpu_count() or 1)),
        # Workers are not recycled during the run, so the memory read at the end is that
        # of a worker that served everything.
        "GUNICORN_MAX_REQUESTS": "0",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    log = open(run.workdir / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "portal.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
        yield server
    finally:
        stop(server, timeout=30)
        log.close()


# gunicorn's master builds identify's matchers before forking (portal/warm.py): about
# 40 s at a million codes.
BOOT_LIMIT = 300


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + BOOT_LIMIT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped with status {server.returncode}; see its log.")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as answer:
            if answer.status == 200:
                return
        time.sleep(0.1)
    sys.exit(f"gunicorn did not answer {url} within {BOOT_LIMIT} s.")


def found(pattern: str, text: str) -> str:
    """The first group of `pattern` in `text`; a missing figure stops the benchmark."""
    match = re.search(pattern, text)
    if match is None:
        raise SystemExit(f"no {pattern!r} in:\n{text[-2000:]}")
    return match[1]


def wrk(port: int, lines: list[str], seconds: int, workdir: Path, connections: int = 8) -> dict:
    """One wrk run rotating over `lines` (see rotate.lua); its WRK_JSON figures."""
    requests = workdir / f"requests-{abs(hash(tuple(lines)))}.tsv"
    requests.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(ROTATE_LUA), f"http://127.0.0.1:{port}", "--", str(requests),
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    for line in output.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            figures = json.loads(line[len("WRK_JSON ") :])
            figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
            figures["bad"] = sum(
                count
                for status, count in figures["statuses"].items()
                if not 200 <= int(status) < 400
            )
            figures["socket_errors"] = sum(figures["errors"].values())
            return figures
    sys.exit(f"wrk printed no figures:\n{output.stdout}\n{output.stderr}")


def measure_api(run: Run, port: int, requests: dict) -> None:
    """Lookup and code detail against their static twin, alternated; identify POSTed."""
    seconds, rounds = run.sizes.seconds, run.sizes.rounds
    static_url = "GET\t/static/bench/{}.json"
    # Warm, as a server is after its first minutes: each worker has built its lookup
    # matchers (seconds at full size) and replayed every URL once, so the rounds measure
    # the steady state. A 2 s warm-up left both workers building matchers and then
    # rendering the 100-entry lookups during the first rounds: 0.72 instead of 0.8x.
    for name in API_READS:
        wrk(port, requests[name], seconds, run.workdir)
        wrk(port, [static_url.format(name)], 1, run.workdir)
    for name in API_READS:
        totals = {"api": [0, 0.0, 0], "static": [0, 0.0, 0]}
        for _ in range(rounds):
            for side, lines in (("static", [static_url.format(name)]), ("api", requests[name])):
                figures = wrk(port, lines, seconds, run.workdir)
                totals[side][0] += figures["requests"]
                totals[side][1] += figures["duration_us"] / 1e6
                totals[side][2] += figures["bad"] + figures["socket_errors"]
        api_rps = totals["api"][0] / totals["api"][1]
        static_rps = totals["static"][0] / totals["static"][1]
        run.results[name] = {
            "api_rps": api_rps,
            "static_rps": static_rps,
            "ratio": api_rps / static_rps,
            "errors": totals["api"][2] + totals["static"][2],
            "bytes": requests["static"][name],
            "urls": len(requests[name]),
        }
    # Each worker builds identify's matchers on its first call (seconds at full size):
    # warm them first, so the figure is the steady state a log pipeline sees.
    wrk(port, requests["identify"], seconds, run.workdir)
    figures = wrk(port, requests["identify"], seconds * 2, run.workdir)
    run.results["identify_http"] = figures


# One code of one service edited, as an editor saves it in the admin.
EDIT_ONE_CODE = """
import time
from errors.models import ErrorCode
error = ErrorCode.objects.order_by("pk").first()
error.messages = [*error.messages[:1], f"Edited by the benchmark at {time.time()}"]
error.save()
"""


def measure_startup(run: Run, requests: dict) -> None:
    """gunicorn started on the catalog as it is, with one worker:

    - its boot, until it answers: the master builds identify's matchers before forking;
    - the worker's first request of each kind, each of which builds what that kind keeps
      per catalog version (search's word statistics) or per service;
    - identify after one code of one service is edited: the worker rebuilds that
      service's matcher alone; then the home page, a code page and HTTP 404's status
      page, the first views of each after the write;
    - a new worker, as gunicorn forks one after `max_requests` or a crash: from killing
      the worker to the new one's first identify answer (it rebuilds the service edited
      since the master built the matchers);
    - the worker's memory.
    """
    port = free_port()
    started = time.perf_counter()
    with gunicorn(run, port, workers=1) as server:
        figures: dict[str, float] = {"boot_ms": (time.perf_counter() - started) * 1000}
        failed: list[str] = []

        def timed(name: str, line: str) -> None:
            figures[name], status = ask(port, line)
            if status != 200:  # a worker killed by gunicorn's timeout answers 500
                failed.append(f"{name} HTTP {status}")

        for kind in ("pages", "lookup", "identify", "search"):
            timed(f"{kind}_ms", requests[kind][0])
        figures["ready_ms"] = (time.perf_counter() - started) * 1000
        manage(run, "shell", "-c", EDIT_ONE_CODE)
        timed("identify_after_write_ms", requests["identify"][1 % len(requests["identify"])])
        # The first views after the edit, each rendered anew under the new catalog version.
        for name, line in (
            ("home_after_write_ms", "GET\t/"),
            ("code_page_after_write_ms", requests["pages"][0]),
            ("status_after_write_ms", "GET\t/status/404/"),
        ):
            timed(name, line)
        figures["rss_mb"] = rss_mb(worker_pids(server.pid)[0])
        os.kill(worker_pids(server.pid)[0], signal.SIGKILL)
        killed = time.perf_counter()
        timed("new_worker_identify_ms", requests["identify"][2 % len(requests["identify"])])
        figures["new_worker_identify_ms"] = (time.perf_counter() - killed) * 1000
    run.results["startup"] = {**figures, "failed": failed}


def measure_search_http(run: Run) -> None:
    """benchmarks/search_http.py's queries over HTTP on the main catalog (the one the
    import made), one gunicorn worker, each request distinct."""
    from benchmarks import search_http

    port = free_port()
    with gunicorn(run, port, workers=1):
        (timings,) = search_http.time_queries([port], repeats=7)
    every = [ms for values in timings.values() for ms in values]
    run.results["search_http"] = {
        "requests": len(every),
        "p50": statistics.median(every),
        "p95": search_http.percentile(every, 0.95),
        "kinds": {
            kind: statistics.median(ms for text in texts for ms in timings[text])
            for kind, texts in search_http.QUERIES.items()
        },
    }


def ask(port: int, line: str) -> tuple[float, int]:
    """One request of a wrk request file (`METHOD\tpath[\tJSON body]`): milliseconds to its
    whole answer, and its status."""
    method, path, *body = line.split("\t")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=body[0].encode() if body else None,
        method=method,
        headers={"Content-Type": "application/json"} if body else {},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as answer:
            answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    return (time.perf_counter() - started) * 1000, status


def measure_proxy(run: Run, port: int, requests: dict) -> None:
    """Code-detail API reads, code pages and service pages through nginx's cache
    (deploy/nginx-cache.conf) against the same reads straight to gunicorn, alternated."""
    proxy_port = free_port()
    with nginx(port, proxy_port, run.workdir / "nginx"):
        for name in PROXIED_READS:
            wrk(proxy_port, requests[name], run.sizes.seconds, run.workdir)  # fill the cache
            wrk(port, requests[name], run.sizes.seconds, run.workdir)
            totals = {"direct": [0, 0.0, 0], "proxy": [0, 0.0, 0]}
            for _ in range(run.sizes.rounds):
                for side, target in (("direct", port), ("proxy", proxy_port)):
                    figures = wrk(target, requests[name], run.sizes.seconds, run.workdir)
                    totals[side][0] += figures["requests"]
                    totals[side][1] += figures["duration_us"] / 1e6
                    totals[side][2] += figures["bad"] + figures["socket_errors"]
            direct = totals["direct"][0] / totals["direct"][1]
            proxied = totals["proxy"][0] / totals["proxy"][1]
            run.results[f"proxy {name}"] = {
                "direct_rps": direct,
                "proxy_rps": proxied,
                "ratio": proxied / direct,
                "errors": totals["direct"][2] + totals["proxy"][2],
                "urls": len(requests[name]),
            }


def measure_load(run: Run, port: int, requests: dict) -> None:
    """Issue 6's load test: saturation, a mix of pages, lookups, searches, identifies."""
    run.note_load()
    figures = wrk(port, requests["mix"], run.sizes.load_seconds, run.workdir, connections=16)
    run.note_load()
    figures["mix_size"] = len(requests["mix"])
    run.results["load"] = figures


# --------------------------------------------------------------------------- search


def measure_search(run: Run) -> None:
    """search_bench's mix on scratch SQLite and PostgreSQL databases, at each size."""
    engines = [("SQLite", f"sqlite:///{run.workdir / 'search.sqlite3'}")]
    if run.options.search_postgres_url:
        engines.append(("PostgreSQL", run.options.search_postgres_url))
    for codes in run.sizes.search_codes:
        for engine, url in engines:
            run.note_load()
            env = {**run.env, "DATABASE_URL": scratch_database(url, run.workdir)}
            command = [sys.executable, str(Path(__file__)), "--task", "search", "--task-args"]
            arguments = json.dumps({"codes": codes, "samples": run.sizes.search_samples})
            output = checked([*command, arguments], env)
            result = json.loads(output.split(RESULT_MARK)[-1].splitlines()[0])
            run.results[f"search {engine} {codes}"] = result


# --------------------------------------------------------------------------- main


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes, 2 s runs.")
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"Comma-separated parts to run (default all): {', '.join(PARTS)}.",
    )
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/portal_run_bench",
        help="Main scratch database (dropped and created): PostgreSQL *_bench or SQLite.",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/13",
        help="Scratch Redis database for the shared cache (flushed); empty: no Redis.",
    )
    parser.add_argument(
        "--search-postgres-url",
        default="postgres://postgres@127.0.0.1:5432/portal_search_bench",
        help="Scratch PostgreSQL database for search; empty: SQLite only.",
    )
    parser.add_argument(
        "--size",
        type=int,
        help="Codes generated in all (default 100,000; --quick 1,000), over --services.",
    )
    parser.add_argument(
        "--services",
        type=int,
        help="Services the codes are spread over (default 100; --quick 4). "
        "`--size 10000 --services 1 --only import,page` times a 10,000-code service page.",
    )
    parser.add_argument("--task", choices=sorted(TASKS), help=argparse.SUPPRESS)
    parser.add_argument("--task-args", default="{}", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    options.only = [part.strip() for part in options.only.split(",") if part.strip()]
    unknown = sorted(set(options.only) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}: choose from {', '.join(PARTS)}.")
    # A --task child measures one in-process part: it never runs wrk.
    if (
        not options.task
        and not shutil.which("wrk")
        and {"api", "proxy", "load", "memory"} & set(options.only)
    ):
        parser.error(
            "wrk is not installed: apt-get install wrk, or leave out api, proxy, load, memory."
        )
    if not options.task and "proxy" in options.only and not NGINX.exists():
        parser.error("nginx is not installed: apt-get install nginx-light, or leave out proxy.")
    return options


def main(argv: list[str] | None = None) -> None:
    options = parse_arguments(argv)
    if options.task:
        setup_django()
        result = TASKS[options.task](**json.loads(options.task_args))
        print(RESULT_MARK + json.dumps(result))
        return
    sizes = QUICK if options.quick else FULL
    services = options.services or sizes.services
    total = options.size or sizes.services * sizes.codes_per_service
    sizes = replace(sizes, services=services, codes_per_service=max(1, total // services))
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
        workdir = Path(folder)
        static_root = workdir / "static"
        env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
            "DJANGO_STATIC_MANIFEST": "1",
            "DJANGO_STATIC_ROOT": str(static_root),
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": scratch_database(options.database_url, workdir),
            "REDIS_URL": options.redis_url,
            "PYTHONPATH": str(ROOT),
        }
        run = Run(options, sizes, workdir, env)
        run.note_load()
        started = time.perf_counter()
        flush_redis(options.redis_url)
        step(run, "import (also fills the main database)")
        measure_import(run)
        if run.wants("identify"):
            step(run, "identify in-process")
            run.results["identify"] = in_process(
                run,
                "identify",
                services=sizes.services,
                per_service=sizes.codes_per_service,
                calls=sizes.identify_calls,
            )
        if run.wants("page"):
            step(run, "service page")
            run.results["page"] = in_process(
                run, "page", slug="svc-000", repeats=sizes.page_repeats
            )
        if {"startup", "api", "proxy", "load", "memory"} & set(options.only):
            (static_root / "bench").mkdir(parents=True, exist_ok=True)
            requests = in_process(
                run,
                "requests",
                services=sizes.services,
                per_service=sizes.codes_per_service,
                count=200 if not options.quick else 40,
                static_dir=str(static_root / "bench"),
            )
            if run.wants("startup"):
                step(run, "a new worker's first answers")
                measure_startup(run, requests)
        if run.wants("search_http"):
            step(run, "search over HTTP on the main catalog")
            measure_search_http(run)
        if {"api", "proxy", "load", "memory"} & set(options.only):
            port = free_port()
            with gunicorn(run, port) as server:
                if run.wants("api"):
                    step(run, "API throughput against static files")
                    run.note_load()
                    measure_api(run, port, requests)
                if run.wants("proxy"):
                    step(run, "reads through nginx's cache against direct")
                    run.note_load()
                    measure_proxy(run, port, requests)
                if run.wants("load"):
                    step(run, f"load test, {sizes.load_seconds} s")
                    measure_load(run, port, requests)
                if run.wants("memory"):
                    pids = worker_pids(server.pid)
                    run.results["memory"] = {
                        "workers": [rss_mb(pid) for pid in pids],
                        "master": rss_mb(server.pid),
                    }
        if run.wants("search"):
            step(run, "search")
            measure_search(run)
        run.note_load()
        elapsed = time.perf_counter() - started
    print()
    loads = f"{min(run.load_averages):.1f}-{max(run.load_averages):.1f}"
    print(f"Machine: {machine()}; load average (1 min) during the run {loads}; {elapsed:.0f} s.")
    kind = "--quick" if options.quick else "full"
    redis = "yes" if options.redis_url else "no"
    print(f"Main database: {urlparse(options.database_url).scheme}, Redis: {redis}; {kind} sizes.")
    print()
    print("\n".join(table(run)))


def step(run: Run, text: str) -> None:
    """Say what comes next, after the figures so far (kept should a later part fail)."""
    if run.results:
        print(f"   so far: {json.dumps(run.results)}", file=sys.stderr, flush=True)
    print(f"== {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
