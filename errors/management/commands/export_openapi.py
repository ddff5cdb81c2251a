"""`manage.py export_openapi --service SLUG`: a service's errors as an OpenAPI 3.1 document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from errors.management.output import chosen_services
from errors.openapi.export import export_openapi
from errors.openapi.publish import dump_spec


class Command(BaseCommand):
    help = "Write a service's errors as an OpenAPI 3.1 document (YAML, or JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", metavar="SLUG", required=True)
        parser.add_argument("--format", choices=("yaml", "json"), default="yaml")
        parser.add_argument("--site-url", default="", help="Makes html_url absolute.")
        parser.add_argument("-o", "--output", metavar="FILE", help="Standard output if not set.")

    def handle(self, *args: Any, **options: Any) -> None:
        service = chosen_services(options["service"]).get()
        text = dump_spec(export_openapi(service, site_url=options["site_url"]), options["format"])
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {options['output']}")
        else:
            self.stdout.write(text, ending="")
