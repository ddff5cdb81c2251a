"""`manage.py lint_catalog [--service SLUG]`: check the catalog in the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from errors.lint import ERROR, lint_catalog
from errors.management.output import chosen_services


class Command(BaseCommand):
    help = (
        "Check every code: the rules of catalog files (errors) and missing resolutions, "
        "examples or replacements (warnings). Exits non-zero when there are errors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", metavar="SLUG", help="Check only this service.")

    def handle(self, *args: Any, **options: Any) -> None:
        services = chosen_services(options["service"])
        findings = lint_catalog(services)
        for finding in findings:
            style = self.style.ERROR if finding.level == ERROR else self.style.WARNING
            self.stdout.write(style(str(finding)))
        errors = sum(finding.level == ERROR for finding in findings)
        warnings = len(findings) - errors
        summary = f"{errors} error(s), {warnings} warning(s) in {len(services)} service(s)."
        if errors:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
