"""`manage.py load_demo`: load the bundled demo catalogs (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from errors.catalog import CatalogInvalid, load_demo_catalogs
from errors.management.output import write_changes


class Command(BaseCommand):
    help = "Load the demo catalogs shipped with the portal; running it again changes nothing."

    def handle(self, *args, **options):
        try:
            results = load_demo_catalogs()
        except CatalogInvalid as exc:
            raise CommandError(f"The bundled demo catalogs are invalid:\n{exc}") from exc
        write_changes(self, results, dry_run=False)
