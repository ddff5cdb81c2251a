"""`manage.py import_catalog FILE...`: import catalog files, all or nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from errors.catalog.files import read_catalog_files
from errors.catalog.importer import import_catalogs
from errors.catalog.problems import CatalogInvalid
from errors.management.output import write_changes


class Command(BaseCommand):
    help = (
        "Create or update services from catalog files (YAML or JSON). All files are "
        "imported in one transaction: a file with mistakes changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="Catalog files to import.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Validate and show what would change, without writing anything.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw a progress bar."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            catalogs = read_catalog_files(options["files"])
            total = sum(len(catalog.data.get("errors", []) or []) for catalog in catalogs
                        if isinstance(catalog.data, dict))  # fmt: skip
            show_bar = not options["no_progress"] and total >= 1000
            with tqdm(total=total, unit="code", disable=not show_bar, file=self.stderr) as bar:
                results = import_catalogs(catalogs, dry_run=options["dry_run"], progress=bar.update)
        except CatalogInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            count = len(exc.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} found; nothing was imported. "
                "Fix the files and run the command again."
            ) from exc
        write_changes(self, results, dry_run=options["dry_run"])
