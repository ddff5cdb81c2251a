"""`manage.py generate_clients`: each service's codes as Python, TypeScript, Go and Java."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from errors.clients import LANGUAGES, UnknownLanguage, generate_client, write_clients
from errors.management.output import chosen_services

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = (
        "Generate error constants, a lookup and retry helpers from the catalog: one source "
        "file per service and language, the same as GET /api/v1/services/<slug>/clients/"
        "<language>/. With -o DIR each file goes to DIR/<language>/<path>; without it, one "
        "service and one language are printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", metavar="SLUG", default="", help="Only this service.")
        parser.add_argument(
            "--language",
            action="append",
            metavar="LANGUAGE",
            help=f"One of {', '.join(LANGUAGES)} (repeat for several; every one by default).",
        )
        parser.add_argument("-o", "--output", metavar="DIR", help="Write the files here.")
        parser.add_argument(
            "--base-url",
            default=os.environ.get("PORTAL_URL", ""),
            help="The portal's address, for each code's html_url (default: $PORTAL_URL, "
            f"else {DEFAULT_BASE_URL}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        services = chosen_services(options["service"])
        languages = options["language"] or list(LANGUAGES)
        base_url = options["base_url"] or DEFAULT_BASE_URL
        if not base_url.startswith(("http://", "https://")):
            raise CommandError(f"--base-url must start with http:// or https://, not {base_url!r}.")
        try:
            if options["output"]:
                written = write_clients(services, languages, base_url, Path(options["output"]))
                for path in written:
                    self.stdout.write(str(path))
                return
            if len(services) != 1 or len(languages) != 1:
                raise CommandError(
                    "Printing takes one --service and one --language; pass -o DIR to write "
                    "every file."
                )
            client = generate_client(services[0], languages[0], base_url)
        except UnknownLanguage as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(client.text, ending="")
