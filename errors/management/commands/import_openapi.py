"""`manage.py import_openapi SPEC --service SLUG`: a service's errors from its OpenAPI spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from errors.catalog.export import dump_catalog
from errors.catalog.problems import CatalogInvalid
from errors.management.output import write_changes
from errors.openapi.importer import import_openapi, read_spec, write_catalog


class Command(BaseCommand):
    help = (
        "Import a service's error codes from its OpenAPI 3.0/3.1 spec (YAML or JSON) through "
        "the catalog import: all or nothing, --dry-run shows the diff, history is recorded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("spec", metavar="SPEC", help="The OpenAPI file.")
        parser.add_argument("--service", metavar="SLUG", required=True, help="The service.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change; write nothing."
        )
        parser.add_argument(
            "-o",
            "--output",
            metavar="FILE",
            help="Write the catalog file (YAML, or JSON for *.json) instead of importing it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            spec = read_spec(options["spec"])
            if options["output"]:
                result = write_catalog(spec, options["service"])
            else:
                result = import_openapi(spec, options["service"], dry_run=options["dry_run"])
        except CatalogInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError("Nothing was imported: fix the spec and run again.") from exc
        found = result.spec_catalog
        envelope = found.envelope
        self.stderr.write(
            f"{spec.name}: {len(found.codes)} codes"
            + (" (status-only: the spec names no codes)" if found.status_only else "")
            + f"; code at {envelope.code_pointer or '(none)'}, message at "
            f"{envelope.message_pointer or '(none)'}"
        )
        for warning in found.warnings:
            self.stderr.write(f"warning: {warning}")
        if options["output"]:
            path = Path(options["output"])
            fmt = "json" if path.suffix == ".json" else "yaml"
            path.write_text(dump_catalog(result.catalog, fmt), encoding="utf-8")
            self.stderr.write(f"Wrote {path}")
            return
        assert result.changes is not None
        write_changes(self, [result.changes], dry_run=options["dry_run"])
