"""The drift benchmark of issue 16: ingest, the observations API, the drift report.

    .venv/bin/python benchmarks/drift_bench.py                       # 1,000,000 observations
    .venv/bin/python benchmarks/drift_bench.py --observations 100000 # a smaller run
    .venv/bin/python benchmarks/drift_bench.py --database-url sqlite:////tmp/drift.sqlite3

On a scratch database (PostgreSQL `*_bench`, dropped and created again, or a SQLite file
that is not db.sqlite3): the synthetic catalogs (100 services), then

- ingest: an NDJSON file of N observations over the services (documented codes with
  their values changed, wrong statuses, undocumented codes, plain-text pages, bodies
  without a service, over 30 days) through `manage.py ingest_observations`, timed as a
  whole process: observations a second;
- api: POST /api/v1/observations/ with batches of 1,000, through Django's test client in
  one process (no network, no gunicorn): seconds per batch, p50 and p95, first in a
  fresh process, then again after as many batches untimed (as a long-lived app server);
- report: `drift_report` over 30 days for 20 services at that size, and the same through
  GET /api/v1/services/<slug>/drift/: milliseconds, p50 and p95.

Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from benchmarks.plan import ROOT, SECRET_KEY
from benchmarks.run import scratch_database
from benchmarks.tasks import percentiles
from errors.catalog.synthetic import synthetic_catalog

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_drift_bench"
NUMBER = re.compile(r"\d+")
METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
PAGE_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx/1.25.{n}</body></html>"


def catalog_codes(services: int, codes: int) -> list[list[tuple[str, int, str]]]:
    """Per service: (code, status, a typical message) of its synthetic catalog."""
    found = []
    for index in range(services):
        errors = synthetic_catalog(index, codes)["errors"]
        found.append([(e["code"], e["http_status"], e["messages"][0]) for e in errors])
    return found


def observation(
    rng: random.Random, catalog: list[list[tuple[str, int, str]]], now: datetime
) -> dict:
    """One observation as a gateway sends it."""
    index = min(int(rng.paretovariate(1.2)) - 1, len(catalog) - 1)
    slug = f"svc-{index:03d}"
    code, status, message = rng.choice(catalog[index][:50])
    message = NUMBER.sub(lambda _: str(rng.randint(1, 99999)), message)
    roll = rng.random()
    item: dict = {"service": slug, "status": status}
    if roll < 0.05:
        item["status"] = 500  # a documented code with the wrong status
    elif roll < 0.10:
        code, message = f"NEW_{rng.randint(1, 20)}_FAILURE", f"new failure {rng.randint(1, 9999)}"
        item["status"] = 422
    elif roll < 0.13:
        item.update(status=502, headers={"Content-Type": "text/html"})
        item["body"] = PAGE_502.format(n=rng.randint(0, 9))
    elif roll < 0.15:
        del item["service"]  # identify decides
    item.setdefault(
        "body",
        {"error": {"code": code, "message": message, "request_id": f"req_{rng.getrandbits(48):x}"}},
    )
    item["method"] = rng.choice(METHODS)
    item["path"] = f"/v1/things/{rng.randint(1, 10**6)}/parts/{rng.getrandbits(32):x}"
    item["seen_at"] = (now - timedelta(seconds=rng.randint(0, 30 * 86400))).isoformat()
    return item


def write_observations(path: Path, count: int, catalog: list, seed: int) -> None:
    """The NDJSON file the ingest reads."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with path.open("w") as file:
        for _ in range(count):
            file.write(json.dumps(observation(rng, catalog, now)) + "\n")


def environment(url: str) -> dict[str, str]:
    """The production-like settings the commands and the in-process parts run with."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }


def manage(env: dict[str, str], *arguments: str) -> str:
    """Run a management command; its output, or the failure."""
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(arguments)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def measure_api(batches: int, catalog: list, seed: int, warmup: int = 0) -> dict[str, float]:
    """Seconds per POSTed batch of 1,000 (test client, in process), after `warmup`
    batches that are not timed (a long-lived app server has met most kinds already)."""
    from django.contrib.auth.models import Permission, User
    from rest_framework.test import APIClient

    user, _ = User.objects.get_or_create(username="drift-bench")
    user.user_permissions.add(Permission.objects.get(codename="report_observations"))
    client = APIClient()
    client.force_authenticate(user)
    rng = random.Random(seed + 1)
    now = datetime.now(UTC)
    timings = []
    for number in range(warmup + batches):
        batch = [observation(rng, catalog, now) for _ in range(1000)]
        started = time.perf_counter()
        response = client.post("/api/v1/observations/", {"observations": batch}, format="json")
        if number >= warmup:
            timings.append(time.perf_counter() - started)
        assert response.status_code == 202, response.content[:500]
    return percentiles(timings)


def measure_report(services: int) -> tuple[dict[str, float], dict[str, float], int]:
    """Milliseconds of drift_report (30 days) and of its API, over 20 services."""
    from rest_framework.test import APIClient

    from errors.drift.report import drift_report
    from errors.models import Service

    chosen = list(Service.objects.filter(slug__startswith="svc-").order_by("slug")[:20])
    direct, api = [], []
    client = APIClient()
    biggest = 0
    for _ in range(3):
        for service in chosen:
            started = time.perf_counter()
            report = drift_report(service, 30)
            direct.append((time.perf_counter() - started) * 1000)
            biggest = max(biggest, report["observed"])
            started = time.perf_counter()
            response = client.get(f"/api/v1/services/{service.slug}/drift/?since=30d")
            api.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    return percentiles(direct), percentiles(api), biggest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--codes-per-service", type=int, default=100)
    parser.add_argument("--api-batches", type=int, default=30)
    parser.add_argument("--seed", type=int, default=16)
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="drift-bench-"))
    url = scratch_database(options.database_url, workdir)
    env = environment(url)
    os.environ.update(env)
    print(f"database {url}; machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    manage(env, "migrate", "--no-input")
    started = time.perf_counter()
    manage(env, "generate_catalog", "--services", str(options.services),
           "--codes-per-service", str(options.codes_per_service))  # fmt: skip
    print(f"catalog: {options.services} services x {options.codes_per_service} codes "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    catalog = catalog_codes(options.services, options.codes_per_service)
    path = workdir / "observations.ndjson"
    write_observations(path, options.observations, catalog, options.seed)
    print(f"file: {options.observations:,} observations, {path.stat().st_size / 1e6:.0f} MB")
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    output = manage(env, "ingest_observations", str(path), "--no-progress")
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(output.strip())
    rate = options.observations / seconds
    print(f"RESULT ingest {options.observations:,} in {seconds:.1f} s: {rate:,.0f} a second "
          "(whole process, start-up included; target 5,000); the command's own CPU time "
          f"{cpu:.1f} s ({options.observations / cpu:,.0f} a CPU second; PostgreSQL's "
          "work not included)")  # fmt: skip
    path.unlink()

    import django

    django.setup()
    api = measure_api(options.api_batches, catalog, options.seed)
    print(f"RESULT api batches of 1,000, a fresh process (n={api['n']:.0f}): "
          f"p50 {api['p50']:.3f} s, p95 {api['p95']:.3f} s (target p95 < 1 s)")  # fmt: skip
    api = measure_api(options.api_batches, catalog, options.seed + 7, warmup=options.api_batches)
    print(f"RESULT api batches of 1,000, after {options.api_batches} more untimed "
          f"(n={api['n']:.0f}): p50 {api['p50']:.3f} s, p95 {api['p95']:.3f} s")  # fmt: skip
    direct, through_api, biggest = measure_report(options.services)
    print(f"RESULT drift_report 30d (n={direct['n']:.0f}, largest service {biggest:,} "
          f"observations): p50 {direct['p50']:.1f} ms, p95 {direct['p95']:.1f} ms; "
          f"GET .../drift/: p50 {through_api['p50']:.1f} ms, p95 {through_api['p95']:.1f} ms "
          "(target < 100 ms)")  # fmt: skip
    from errors.drift.models import ObservationDay, ObservedFingerprint

    print(f"stored: {ObservationDay.objects.count():,} day rows, "
          f"{ObservedFingerprint.objects.count():,} fingerprints")  # fmt: skip


if __name__ == "__main__":
    main()
