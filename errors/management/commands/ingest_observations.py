"""`manage.py ingest_observations FILE... [-]`: count observed error responses (NDJSON)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from errors.drift.ingest import FLUSH_EVERY, IngestResult, ingest_lines

SHOWN_REJECTIONS = 20


class Command(BaseCommand):
    help = (
        "Read observed error responses, one JSON object per line (the keys of POST "
        "/api/v1/observations/), recognise and count them. '-' reads standard input. "
        "Bad lines are listed and skipped; the rest are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="NDJSON files, or -.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--flush-every",
            type=int,
            default=FLUSH_EVERY,
            metavar="N",
            help=f"Observations added up in memory between writes (default {FLUSH_EVERY:,}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        total = IngestResult()
        for name in options["files"]:
            try:
                stream = sys.stdin.buffer if name == "-" else open(name, "rb")  # noqa: SIM115
            except OSError as exc:
                raise CommandError(f"Cannot read {name}: {exc.strerror}.") from exc
            size = None if name == "-" else os.fstat(stream.fileno()).st_size
            with stream, tqdm(
                total=size, unit="B", unit_scale=True, desc=name, file=self.stderr,
                disable=options["no_progress"], mininterval=0.5,
            ) as bar:  # fmt: skip
                result = ingest_lines(stream, bar.update, max(options["flush_every"], 1))
            for item in result.rejected[:SHOWN_REJECTIONS]:
                self.stderr.write(self.style.WARNING(f"{name}:{item['index']}: {item['detail']}"))
            if result.rejected_total > SHOWN_REJECTIONS:
                more = result.rejected_total - SHOWN_REJECTIONS
                self.stderr.write(self.style.WARNING(f"{name}: ... and {more:,} more bad lines"))
            total.add(result)
        seconds = time.perf_counter() - started
        rate = total.accepted / seconds if seconds else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"{total.accepted:,} observation{'s' if total.accepted != 1 else ''} counted "
                f"({total.matched:,} matched, {total.unmatched:,} undocumented), "
                f"{total.rejected_total:,} line{'s' if total.rejected_total != 1 else ''} "
                "rejected, "
                f"in {seconds:.1f} s ({rate:,.0f} a second)."
            )
        )
