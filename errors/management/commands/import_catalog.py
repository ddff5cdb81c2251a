"""`manage.py import_catalog FILE...`: import catalog files, all or nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from errors.catalog.importer import import_catalog_files
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
            # The files are read one at a time as the import reaches them, so the bar
            # counts codes without knowing their total; it shows on a terminal only.
            hidden = True if options["no_progress"] else None
            with tqdm(unit="code", disable=hidden, file=self.stderr) as bar:
                results = import_catalog_files(
                    options["files"],
                    dry_run=options["dry_run"],
                    progress=bar.update,
                    parallel=True,  # manage.py keeps its top level behind __main__
                )
        except CatalogInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            count = len(exc.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} found; nothing was imported. "
                "Fix the files and run the command again."
            ) from exc
        write_changes(self, results, dry_run=options["dry_run"])
