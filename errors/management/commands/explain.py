"""`manage.py explain CODE`: a code's documentation in the terminal, like `rustc --explain`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from errors.explain import UnknownCode, explain
from errors.management.output import chosen_services


class Command(BaseCommand):
    help = (
        "Print the documentation of an error code. Matches ignore case and _ - or spaces, "
        "and find aliases; without --service every service's matching code is printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="The code, e.g. RATE_LIMITED, rate-limited or 404.")
        parser.add_argument("--service", metavar="SLUG", default="", help="Only this service.")

    def handle(self, *args: Any, **options: Any) -> None:
        chosen_services(options["service"])  # an unknown --service is named as such
        try:
            self.stdout.write(explain(options["code"], options["service"]), ending="")
        except UnknownCode as exc:
            raise CommandError(exc.message, returncode=1) from exc
