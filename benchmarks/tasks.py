"""The in-process measurements, each run in a fresh interpreter set up on the main
database (`run.py --task NAME`): identify, a service page, the API's requests, search."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from benchmarks import search_bench  # the search engineer's catalog and query mix
from benchmarks.plan import ROOT

# --------------------------------------------------------------------------- in-process


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def resident_mb() -> float:
    """This process's resident memory (VmRSS), in MB."""
    text = Path("/proc/self/status").read_text()
    match = re.search(r"(?m)^VmRSS:\s+(\d+) kB", text)
    return int(match[1]) / 1024 if match else 0.0


def percentiles(timings: list[float]) -> dict[str, float]:
    """p50 and p95 (nearest rank) of timings in milliseconds."""
    ordered = sorted(timings)
    rank = min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))
    return {"n": len(ordered), "p50": statistics.median(ordered), "p95": ordered[rank]}


def change_numbers(rng: random.Random, message: str) -> str:
    """The same message with other concrete values, as a log line would carry."""
    return re.sub(r"\d+", lambda _: str(rng.randint(1, 99999)), message)


def identify_bodies(services: int, per_service: int, count: int) -> list[tuple[str, dict]]:
    """(kind, request) pairs: `count` of each kind, from the synthetic catalogs and the
    status-only demo catalog (aisafe)."""
    from errors.catalog.synthetic import synthetic_catalog
    from errors.models import ErrorCode

    rng = random.Random(5)
    catalogs: dict[int, list[dict]] = {}
    bodies: list[tuple[str, dict]] = []
    for _ in range(count):
        service = rng.randrange(services)
        if service not in catalogs:
            catalogs[service] = synthetic_catalog(service, per_service)["errors"]
        error = rng.choice(catalogs[service])
        example = json.loads(error["examples"][0]["body"])
        example["error"]["request_id"] = f"req_{rng.getrandbits(48):012x}"
        bodies.append(("code field", {"body": example, "status": error["http_status"]}))
        message = change_numbers(rng, rng.choice(error["messages"]))
        request = {"body": {"error": {"message": message}}, "status": error["http_status"]}
        bodies.append(("message only", request))
    statuses = list(
        ErrorCode.objects.filter(service__slug="aisafe", http_status__isnull=False)
        .values_list("http_status", flat=True)
        .distinct()
    )
    for _ in range(count):
        text = rng.choice(["Request failed.", "Not allowed.", "Try again in 30s."])
        bodies.append(("status only", {"body": {"detail": text}, "status": rng.choice(statuses)}))
    rng.shuffle(bodies)
    return bodies


def task_identify(services: int, per_service: int, calls: int) -> dict:
    """identify() timed per call, by kind of body; the first (cold) call apart."""
    from errors.identify import identify

    bodies = identify_bodies(services, per_service, calls)
    before = resident_mb()
    started = time.perf_counter()
    identify(bodies[0][1]["body"], status=bodies[0][1]["status"])
    cold = (time.perf_counter() - started) * 1000
    built_mb = resident_mb() - before  # the matchers, as a worker holds them
    timings: dict[str, list[float]] = {}
    answered: dict[str, int] = {}
    for kind, request in bodies:
        started = time.perf_counter()
        found = identify(request["body"], status=request["status"])
        timings.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        answered[kind] = answered.get(kind, 0) + bool(found)
    every = [took for kind_timings in timings.values() for took in kind_timings]
    return {
        "cold_ms": cold,
        "built_mb": built_mb,
        "all": percentiles(every),
        "kinds": {
            kind: {**percentiles(t), "answered": answered[kind]} for kind, t in timings.items()
        },
    }


def task_page(slug: str, repeats: int) -> dict:
    """A service page through the test client: server time cold (the page cache emptied
    before each request, as after any catalog write) and cached, queries, bytes."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    address = f"/services/{slug}/"
    for _ in range(2):  # warm: templates compiled, connection open
        cache.clear()
        response = client.get(address)
        assert response.status_code == 200, response.status_code
    cold, cached = [], []
    for _ in range(repeats):
        cache.clear()  # the next request renders the page, as the first after a write does
        started = time.perf_counter()
        response = client.get(address)
        cold.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        client.get(address)
        cached.append((time.perf_counter() - started) * 1000)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get(address)
    from errors.models import ErrorCode

    return {
        "codes": ErrorCode.objects.filter(service__slug=slug).count(),
        "cold_ms": statistics.median(cold),
        "cold_max_ms": max(cold),
        "cached_ms": statistics.median(cached),
        "queries": len(queries),
        "bytes": len(response.content),
        "gzip_bytes": len(gzip.compress(response.content, 6)),
    }


def task_requests(services: int, per_service: int, count: int, static_dir: str) -> dict:
    """Request files for wrk (lookups, code details, identifies, the load mix) and static
    JSON files of the mean size of the lookup and code-detail answers."""
    from django.test import Client

    from errors.models import ErrorCode, Service

    rng = random.Random(9)
    rows = list(
        ErrorCode.objects.filter(published=True).values_list("service__slug", "code", "title")
    )
    picked = rng.sample(rows, min(count, len(rows)))
    spelt = [
        code if rng.random() < 0.7 else code.lower().replace("_", "-") for _, code, _ in picked
    ]
    lookups = [f"/api/v1/lookup/?code={quote(code)}" for code in spelt]
    # The synthetic services share their codes, so a bare lookup answers one entry per
    # service; a tool that knows its service asks for one.
    lookups_one = [
        f"/api/v1/lookup/?code={quote(code)}&service={slug}"
        for code, (slug, _, _) in zip(spelt, picked, strict=True)
    ]
    details = [f"/api/v1/services/{slug}/errors/{quote(code)}/" for slug, code, _ in picked]
    identifies = [
        json.dumps(request, separators=(",", ":"))
        for _, request in identify_bodies(services, per_service, max(1, count // 3))
    ]
    pages = [f"/services/{slug}/errors/{quote(code)}/" for slug, code, _ in picked]
    searches = [
        "/search/?" + urlencode({"q": text})
        for _, code, title in picked
        for text in (title.lower(), code[: rng.randrange(4, 9)])
    ]
    slugs = list(Service.objects.values_list("slug", flat=True))
    mix = (
        ["GET\t/"] * 2
        + [f"GET\t/services/{rng.choice(slugs)}/" for _ in range(2)]
        + [f"GET\t{page}" for page in pages[:20]]
        + [f"GET\t{path}" for path in lookups[:30]]
        + [f"GET\t{path}" for path in details[:10]]
        + [f"GET\t{path}" for path in searches[:15]]
        + [f"POST\t/api/v1/identify/\t{body}" for body in identifies[:20]]
    )
    rng.shuffle(mix)
    client = Client()
    static = {}
    for name, addresses in (("lookup", lookups), ("lookup_one", lookups_one), ("detail", details)):
        answers = [client.get(address).content for address in addresses[:25]]
        mean = statistics.mean(len(answer) for answer in answers)
        closest = min(answers, key=lambda answer: abs(len(answer) - mean))
        Path(static_dir, f"{name}.json").write_bytes(closest)
        static[name] = {"mean_bytes": mean, "static_bytes": len(closest)}
    return {
        "lookup": [f"GET\t{path}" for path in lookups],
        "lookup_one": [f"GET\t{path}" for path in lookups_one],
        "detail": [f"GET\t{path}" for path in details],
        "identify": [f"POST\t/api/v1/identify/\t{body}" for body in identifies],
        "pages": [f"GET\t{page}" for page in pages],
        "service_pages": [f"GET\t/services/{slug}/" for slug in slugs[:20]],
        "search": [f"GET\t{path}" for path in searches],
        "mix": mix,
        "static": static,
    }


def task_search(codes: int, samples: int) -> dict:
    """search_bench.py's catalog of `codes` codes and its query mix, timed by its run()."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    search_bench.generate(codes)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        search_bench.run(samples, seed=11)
    kinds = {}
    for line in printed.getvalue().splitlines():
        found = re.match(r"(.+?)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", line)
        if found:
            kinds[found[1].strip()] = {"p50": float(found[3]), "p95": float(found[4])}
    return {"vendor": connection.vendor, "kinds": kinds}


TASKS: dict[str, Callable[..., Any]] = {
    "identify": task_identify,
    "page": task_page,
    "requests": task_requests,
    "search": task_search,
}
