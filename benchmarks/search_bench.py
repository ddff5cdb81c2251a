"""Search speed at scale: generate a synthetic catalog and time a mix of queries.

    python benchmarks/search_bench.py --codes 100000
    python benchmarks/search_bench.py --codes 100000 \
        --database-url postgres://postgres@127.0.0.1:5432/portal_bench_search

Writes only to its own benchmark database (SQLite file benchmarks/.bench-search.sqlite3,
or PostgreSQL database portal_bench_search), never to the development database. The
catalog is generated once with bulk_create (the index triggers fill the search index as
they do for an import) and reused while it has the requested size.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "benchmarks" / ".bench-search.sqlite3"
BENCH_DATABASE = "portal_bench_search"

_NOUNS_TEXT = (
    "account api_key attachment audit_log balance batch bucket card certificate channel "
    "charge checkout cluster comment connection contact contract coupon credential customer "
    "dashboard dataset deployment device discount dispute document domain download email "
    "endpoint environment event export feature file folder form group image import "
    "integration invoice job key label language ledger license link location log mandate "
    "member message metric model namespace note notification order organization "
    "page password payment payout permission phone plan policy price product profile "
    "project queue quota receipt record refund region report repository request role rule "
    "schedule schema secret session shipment signature snapshot source subscription tag "
    "task team template tenant ticket token topic transaction transfer trial upload usage "
    "user variable version video volume wallet webhook workflow workspace zone"
)
NOUNS = _NOUNS_TEXT.split()
_CONDITIONS_TEXT = (
    "not_found already_exists invalid expired revoked locked disabled deleted archived "
    "too_large too_small limit_exceeded rate_limited quota_exceeded forbidden unauthorized "
    "conflict timeout unavailable malformed missing unsupported duplicate mismatch "
    "not_ready in_progress failed declined pending frozen suspended out_of_range "
    "not_allowed required immutable stale corrupted unreachable misconfigured "
    "not_verified over_capacity unprocessable incompatible truncated throttled"
)
CONDITIONS = _CONDITIONS_TEXT.split()
STATUS_OF = {
    "not_found": 404,
    "already_exists": 409,
    "conflict": 409,
    "duplicate": 409,
    "forbidden": 403,
    "not_allowed": 403,
    "unauthorized": 401,
    "expired": 401,
    "revoked": 401,
    "rate_limited": 429,
    "throttled": 429,
    "limit_exceeded": 429,
    "quota_exceeded": 429,
    "too_large": 413,
    "timeout": 504,
    "unavailable": 503,
    "unreachable": 502,
    "failed": 500,
    "corrupted": 500,
    "in_progress": 409,
    "unprocessable": 422,
}
LIMIT_CONDITIONS = {"limit_exceeded", "quota_exceeded", "too_large", "too_small", "throttled"}


def vocabulary() -> tuple[list[str], list[float]]:
    """Words of the demo catalogs' prose, most frequent first, with Zipf weights: the
    filler text then has the skew of real documentation (a few words everywhere, most
    words rare), which is what makes full-text queries cheap or expensive."""
    counts: dict[str, int] = {}
    for path in sorted((ROOT / "errors" / "catalog" / "demo").glob("*.yaml")):
        for word in re.findall(r"[a-z]{3,}", path.read_text(encoding="utf-8").lower()):
            counts[word] = counts.get(word, 0) + 1
    if not counts:
        raise SystemExit("No demo catalogs found to draw words from: errors/catalog/demo/.")
    words = sorted(counts, key=lambda word: -counts[word])
    return words, [1 / rank for rank in range(1, len(words) + 1)]


WORDS, WEIGHTS = vocabulary()


def configure(database_url: str) -> None:
    """Point Django at the benchmark database before it starts."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    parsed = urlparse(database_url)
    if parsed.scheme.startswith("postgres"):
        if parsed.path.lstrip("/") != BENCH_DATABASE:
            raise SystemExit(f"Use the PostgreSQL database {BENCH_DATABASE}, not {parsed.path}.")
        create_postgres_database(parsed)
    elif Path(parsed.path).resolve() == (ROOT / "db.sqlite3").resolve():
        raise SystemExit("Refusing to benchmark on the development database db.sqlite3.")
    import django

    django.setup()


def create_postgres_database(parsed) -> None:
    """Create portal_bench_search if it does not exist yet."""
    import psycopg

    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]
        ).fetchone()
        if not exists:
            connection.execute(f"CREATE DATABASE {BENCH_DATABASE}")


def sentence(rng: random.Random, words: int) -> str:
    """Filler prose of `words` words drawn from the demo catalogs' vocabulary."""
    return " ".join(rng.choices(WORDS, WEIGHTS, k=words)).capitalize() + "."


def generate(total: int, seed: int = 7) -> None:
    """A catalog of `total` codes over 50 services, with messages and one example each."""
    from django.db import transaction

    from errors.codes import code_key
    from errors.models import ErrorCode, Example, Service

    rng = random.Random(seed)
    pairs = [(noun, condition) for noun in NOUNS for condition in CONDITIONS]
    per_service = -(-total // 50)
    with transaction.atomic():
        Example.objects.all().delete()
        ErrorCode.objects.all().delete()
        Service.objects.all().delete()
        services = Service.objects.bulk_create(
            Service(slug=f"service-{n:02d}", name=f"Service {n:02d}", code_pointer="/error/code")
            for n in range(50)
        )
        made = 0
        for index, service in enumerate(services):
            count = min(per_service, total - made)
            rows = []
            for order, (noun, condition) in enumerate(rng.sample(pairs, count)):
                camel = index % 3 == 0
                code = f"{noun}_{condition}".upper()
                if camel:
                    code = "".join(part.capitalize() for part in code.split("_"))
                words = f"{noun} {condition}".replace("_", " ")
                limit = rng.choice([1, 5, 10, 50, 100, 250, 1000])
                rows.append(
                    ErrorCode(
                        service=service,
                        code=code,
                        code_key=code_key(code),
                        http_status=STATUS_OF.get(condition, rng.choice([400, 400, 422, 403])),
                        title=words.capitalize(),
                        summary=f"The {words} for this request. {sentence(rng, 8)}",
                        description=f"{sentence(rng, 30)} {sentence(rng, 25)}",
                        resolution=f"Check the {noun.replace('_', ' ')}. {sentence(rng, 20)}",
                        messages=[
                            f"{noun.replace('_', ' ').capitalize()} {rng.randrange(10**6)} is "
                            f"{condition.replace('_', ' ')}"
                            + (f" (limit {limit})" if condition in LIMIT_CONDITIONS else "")
                        ],
                        aliases=[f"E{index:02d}{order:04d}"] if order % 10 == 0 else [],
                        published=True,
                        order=order,
                    )
                )
            ErrorCode.objects.bulk_create(rows, batch_size=1000)
            Example.objects.bulk_create(
                (
                    Example(
                        error=error,
                        body=f'{{"error": {{"code": "{error.code}", '
                        f'"message": "{error.messages[0]}"}}}}',
                    )
                    for error in rows
                ),
                batch_size=1000,
            )
            made += count
            print(f"\r  generated {made}/{total} codes", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def misspell(rng: random.Random, code: str) -> str:
    """Drop or swap one letter in the middle of a code."""
    position = rng.randrange(2, len(code) - 2)
    if rng.random() < 0.5:
        return code[:position] + code[position + 1 :]
    return code[:position] + code[position + 1] + code[position] + code[position + 2 :]


def query_mix(rng: random.Random, samples: int) -> dict[str, list[str]]:
    """Realistic queries of each kind, built from codes that exist."""
    from errors.models import ErrorCode

    ids = list(ErrorCode.objects.values_list("id", flat=True))
    picked = ErrorCode.objects.filter(id__in=rng.sample(ids, samples)).values_list(
        "code", "messages", "title"
    )
    mix: dict[str, list[str]] = {
        "exact code": [],
        "code prefix": [],
        "pasted message": [],
        "misspelt code": [],
        "vague words": [],
        "status filter": [],
    }
    for code, messages, title in picked:
        mix["exact code"].append(code.lower() if rng.random() < 0.5 else code)
        mix["code prefix"].append(code[: rng.randrange(4, 9)])
        message = messages[0].split(" ", 2)
        mix["pasted message"].append(f"{message[0]} {rng.randrange(10**6)} {message[2]}")
        mix["misspelt code"].append(misspell(rng, code))
        noun, *rest = title.lower().split()
        mix["vague words"].append(f"{noun} {rng.choice(WORDS[:200])} {' '.join(rest)}")
        mix["status filter"].append(rng.choice(["404", "status:429 limit", "409 conflict"]))
    return mix


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run(samples: int, seed: int) -> None:
    """Time every query of the mix once after a warm-up and print p50/p95."""
    from errors.search.execute import search_errors
    from errors.search.query import parse_query

    rng = random.Random(seed)
    mix = query_mix(rng, samples)
    for queries in mix.values():  # warm caches and connections
        for text in queries[:3]:
            search_errors(parse_query(text))
    every: list[float] = []
    slowest: list[tuple[float, str, int]] = []
    print(f"{'kind':<16} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind, queries in mix.items():
        timings = []
        for text in queries:
            started = time.perf_counter()
            results = search_errors(parse_query(text))
            [str(hit.highlight) for hit in results.hits]
            timings.append((time.perf_counter() - started) * 1000)
            slowest.append((timings[-1], text, results.total))
        every += timings
        print(
            f"{kind:<16} {len(timings):>4} {statistics.median(timings):>8.2f} "
            f"{percentile(timings, 0.95):>8.2f} {max(timings):>8.2f}"
        )
    print(
        f"{'all':<16} {len(every):>4} {statistics.median(every):>8.2f} "
        f"{percentile(every, 0.95):>8.2f} {max(every):>8.2f}"
    )
    print("slowest queries:")
    for took, text, total in sorted(slowest, reverse=True)[:8]:
        print(f"  {took:8.2f} ms  {total:>6} matches  {text!r}")


def machine() -> str:
    """CPUs, CPU model and load average: the figures mean little without them."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        model = found.group(1) if found else model
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({model}), load average {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{DEFAULT_SQLITE}",
        help=f"Default: SQLite {DEFAULT_SQLITE}. PostgreSQL: .../{BENCH_DATABASE}",
    )
    parser.add_argument("--samples", type=int, default=100, help="Queries of each kind.")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--regenerate", action="store_true", help="Rebuild the catalog.")
    options = parser.parse_args()
    configure(options.database_url)

    from django.core.management import call_command
    from django.db import connection

    from errors.models import ErrorCode

    call_command("migrate", verbosity=0)
    if options.regenerate or ErrorCode.objects.count() != options.codes:
        started = time.perf_counter()
        generate(options.codes)
        print(f"  generated and indexed in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        else:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    print(f"{connection.vendor}, {ErrorCode.objects.count()} codes, {machine()}")
    run(options.samples, options.seed)
    print(f"load average after: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()
