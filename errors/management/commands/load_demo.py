"""`manage.py load_demo`: load the bundled demo catalogs that are not loaded yet."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from errors.catalog.importer import load_demo_catalogs
from errors.catalog.problems import CatalogInvalid
from errors.management.output import write_changes


class Command(BaseCommand):
    help = (
        "Load the demo catalogs shipped with the portal. Services already in the database "
        "are left as they are, edits included; --reset reloads them from the files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Reload every demo service from its file, undoing edits made since.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            results = load_demo_catalogs(reset=options["reset"])
        except CatalogInvalid as exc:
            raise CommandError(f"The bundled demo catalogs are invalid:\n{exc}") from exc
        if not results:
            self.stdout.write(
                "The demo catalogs are already loaded; edits made to them are kept. "
                "Use --reset to reload them from the files."
            )
            return
        write_changes(self, results, dry_run=False)
