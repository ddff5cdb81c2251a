"""`manage.py export_catalog`: write services' catalogs as files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from errors.catalog.export import FORMATS, export_catalog
from errors.management.output import chosen_services


class Command(BaseCommand):
    help = (
        "Export catalogs as YAML or JSON. One service goes to standard output or to -o FILE; "
        "all services go to -o DIRECTORY, one file each."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", metavar="SLUG", help="Export only this service.")
        parser.add_argument("--format", choices=FORMATS, default="yaml")
        parser.add_argument(
            "-o", "--output", metavar="PATH", help="File (one service) or directory (all)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        services = chosen_services(options["service"])
        fmt = options["format"]
        output = options["output"]
        if output is None:
            if len(services) != 1:
                raise CommandError(
                    "Standard output takes one catalog: name it with --service SLUG, or "
                    "write them all with -o DIRECTORY."
                )
            for service in services:
                self.stdout.write(export_catalog(service, fmt), ending="")
            return
        path = Path(output)
        if len(services) == 1 and not path.is_dir():
            path.write_text(export_catalog(services[0], fmt), encoding="utf-8")
            self.stderr.write(f"Wrote {path}")
            return
        path.mkdir(parents=True, exist_ok=True)
        for service in services:
            target = path / f"{service.slug}.{fmt}"
            target.write_text(export_catalog(service, fmt), encoding="utf-8")
            self.stderr.write(f"Wrote {target}")
