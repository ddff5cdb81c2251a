"""`manage.py prune_observations --older-than 90d`: drop old days of observations."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from errors.drift.report import InvalidWindow, Window, window_days
from errors.drift.store import prune

KEEP_AT_MOST = 3660  # ten years: anything longer is a typo


class Command(BaseCommand):
    help = (
        "Drop the observation counts of days older than the window, and fingerprints left unused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than", default="90d", metavar="AGE", help="Keep this many days (default 90d)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            kept = Window.of(window_days(options["older_than"], most=KEEP_AT_MOST))
        except InvalidWindow as exc:
            raise CommandError(str(exc).replace("since=", "--older-than ")) from exc
        days, fingerprints = prune(kept.first)
        self.stdout.write(
            self.style.SUCCESS(
                f"Dropped {days:,} day rows before {kept.first.isoformat()} and "
                f"{fingerprints:,} fingerprints no longer seen."
            )
        )
