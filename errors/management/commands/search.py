"""`manage.py search QUERY`: the portal's search from a terminal."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from errors.search.execute import search_errors
from errors.search.query import QueryError, parse_query
from errors.search.results import SearchResults


def plain(snippet: str) -> str:
    """A highlight without its HTML: matched words in [brackets]."""
    return html.unescape(re.sub(r"</?mark>", lambda tag: "]" if "/" in tag[0] else "[", snippet))


class Command(BaseCommand):
    help = (
        "Search the error codes as the search page does: a code (any spelling), a pasted "
        "message, an HTTP status or a few words. Filters: service:, status:, category:, "
        "lifecycle: in the query or as options."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query", nargs="+", metavar="QUERY", help="What to look for.")
        parser.add_argument("--service", metavar="SLUG", help="Only this service.")
        parser.add_argument("--status", metavar="STATUS", help="Only this HTTP status.")
        parser.add_argument("--category", metavar="SLUG", help="Only this category.")
        parser.add_argument("--lifecycle", choices=["active", "deprecated", "removed"])
        parser.add_argument("--page", type=int, default=1)
        parser.add_argument("--per-page", type=int, default=10)
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["page"] < 1 or not 1 <= options["per_page"] <= 100:
            raise CommandError("--page starts at 1 and --per-page is from 1 to 100.")
        try:
            query = parse_query(
                " ".join(options["query"]),
                service=options["service"],
                status=options["status"],
                category=options["category"],
                lifecycle=options["lifecycle"],
            )
            results = search_errors(query, page=options["page"], per_page=options["per_page"])
        except QueryError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(results.as_dict(), indent=2, ensure_ascii=False))
        else:
            self.write_table(results)

    def write_table(self, results: SearchResults) -> None:
        """One line per hit with its matched text, then the counts to narrow down."""
        if not results.total:
            self.stdout.write(
                "No codes match. Try fewer words, part of the code, or drop a filter."
            )
            return
        for hit in results.hits:
            error = hit.error
            status = error.http_status or "-"
            self.stdout.write(
                f"{self.style.SUCCESS(error.code)}  {error.service.slug}  {status}  {error.title}"
            )
            if hit.matched:
                self.stdout.write(f"    {hit.matched}: {plain(hit.highlight)}")
        first = (results.page - 1) * results.per_page + 1
        last = first + len(results.hits) - 1
        self.stdout.write(
            f"\n{first}-{last} of {results.total} (page {results.page} of {results.pages})"
        )
        services = ", ".join(f"{slug} {n}" for slug, n in sorted(results.by_service.items()))
        statuses = ", ".join(f"{code} {n}" for code, n in sorted(results.by_status.items()))
        self.stdout.write(f"services: {services}")
        if statuses:
            self.stdout.write(f"statuses: {statuses}")
