"""Share of the relevance set (tests/test_search_relevance.py) found first and in the top
three, on the demo catalogs, for the database DATABASE_URL names.

    python benchmarks/relevance.py
    python benchmarks/relevance.py \
        --database-url postgres://postgres@127.0.0.1:5432/portal_relevance_search

It replaces everything in a scratch database with the demo catalogs (SQLite file
benchmarks/.relevance.sqlite3 by default, or a PostgreSQL database whose name ends in
_relevance_search), never the development or benchmark database.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def create_database(parsed, name: str) -> None:
    """Create the scratch PostgreSQL database if it does not exist yet."""
    import psycopg

    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            connection.execute(f"CREATE DATABASE {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=f"sqlite:///{ROOT / 'benchmarks' / '.relevance.sqlite3'}"
    )
    options = parser.parse_args()
    os.environ["DATABASE_URL"] = options.database_url
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    parsed = urlparse(options.database_url)
    if parsed.scheme.startswith("postgres"):
        name = parsed.path.lstrip("/")
        if not name.endswith("_relevance_search"):
            raise SystemExit(f"Use a scratch database named *_relevance_search, not {name}.")
        create_database(parsed, name)
    elif not Path(parsed.path).name.startswith(".relevance"):
        raise SystemExit("Use a scratch SQLite file under benchmarks/.relevance*.")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from errors.catalog.importer import load_demo_catalogs
    from errors.models import Service
    from errors.search.execute import search_errors
    from errors.search.query import parse_query
    from tests.test_search_relevance import NEW_CASES, RELEVANCE_CASES, accepted

    call_command("migrate", verbosity=0)
    Service.objects.all().delete()
    load_demo_catalogs()
    for name, cases in (("old set", RELEVANCE_CASES), ("new set (issue 15)", NEW_CASES)):
        first = top3 = 0
        for text, expected in cases:
            hits = search_errors(parse_query(text), per_page=3).hits
            found = [f"{hit.error.service.slug}/{hit.error.code}" for hit in hits]
            right = accepted(expected)
            first += bool(found) and found[0] in right
            top3 += any(entry in right for entry in found)
            if not found or found[0] not in right:
                print(f"  not first: {text!r} -> {found} (expected {expected})")
        total = len(cases)
        print(
            f"{connection.vendor}, {name}: {total} queries, first {first}/{total} "
            f"({first / total:.0%}), top three {top3}/{total} ({top3 / total:.0%})"
        )


if __name__ == "__main__":
    main()
