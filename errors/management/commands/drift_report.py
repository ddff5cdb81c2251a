"""`manage.py drift_report --service SLUG [--since 7d] [--fail-on KINDS] [--json]`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from errors.drift.report import (
    DEFAULT_WINDOW,
    KINDS,
    InvalidWindow,
    drift_report,
    failing_kinds,
    report_lines,
    window_days,
)
from errors.management.output import chosen_services


class Command(BaseCommand):
    help = (
        "Print where a service's catalog and its traffic disagree. With --fail-on, exit "
        "non-zero when any of the named kinds has rows: a CI job can gate a release on it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", metavar="SLUG", required=True)
        parser.add_argument("--since", default=DEFAULT_WINDOW, help="Window (default 7d).")
        parser.add_argument(
            "--fail-on",
            default="",
            metavar="KINDS",
            help=f"Comma-separated kinds: {', '.join(KINDS)}.",
        )
        parser.add_argument("--json", action="store_true", help="Print the API's answer.")

    def handle(self, *args: Any, **options: Any) -> None:
        service = chosen_services(options["service"]).get()
        kinds = [kind.strip() for kind in options["fail_on"].split(",") if kind.strip()]
        unknown = [kind for kind in kinds if kind not in KINDS]
        if unknown:
            raise CommandError(f"Unknown kind {', '.join(unknown)}: use {', '.join(KINDS)}.")
        try:
            days = window_days(options["since"])
        except InvalidWindow as exc:
            raise CommandError(str(exc).replace("since=", "--since ")) from exc
        report = drift_report(service, days)
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            self.stdout.write("\n".join(report_lines(report)))
        failing = failing_kinds(report, kinds)
        if failing:
            counts = ", ".join(f"{len(report[kind])} {kind}" for kind in failing)
            raise CommandError(f"Drift in {service.slug}: {counts}.")
