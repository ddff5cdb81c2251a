"""The drift tables' writes: single-statement upserts that add counts, so that any number
of senders at once lose none (`count = count + excluded.count`).

Rows are written in key order, so two writers that touch the same groups lock them in
the same order and cannot deadlock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction

from errors.drift.fingerprint import Fingerprint
from errors.drift.models import ObservationDay, ObservedFingerprint

ROWS_PER_STATEMENT = 5000


@dataclass
class FingerprintRow:
    """A fingerprint to insert, or whose first and last times to widen."""

    fingerprint: Fingerprint
    service_id: int | None
    first_seen: datetime
    last_seen: datetime


@dataclass
class DayRow:
    """A group's count on one day, to add to what is stored."""

    day: date
    key: str
    service_id: int | None
    error_id: int | None
    fingerprint: str
    status: int
    method: str
    path: str
    count: int
    first_seen: datetime
    last_seen: datetime


def _least_greatest() -> tuple[str, str]:
    # SQLite's two-argument min() and max() are PostgreSQL's LEAST and GREATEST.
    return ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")


def _when(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _upsert(
    table: str, columns: list[tuple[str, str]], rows: list[list[Any]], on: str, update: str
) -> None:
    """INSERT ... ON CONFLICT (on) DO UPDATE SET update, for many rows.

    PostgreSQL: one statement per chunk, the rows as arrays unnested (`columns` pairs a
    name with its array type); SQLite: one statement per row, prepared once.
    """
    names = ", ".join(name for name, _ in columns)
    conflict = f"ON CONFLICT ({on}) DO UPDATE SET {update}"
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) {conflict}", rows)
            return
        arrays = ", ".join(f"%s::{kind}[]" for _, kind in columns)
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {conflict}",
                [list(column) for column in zip(*chunk, strict=True)],
            )


def upsert_fingerprints(rows: list[FingerprintRow]) -> None:
    """Insert new fingerprints; widen the first and last times of known ones."""
    least, greatest = _least_greatest()
    table = ObservedFingerprint._meta.db_table
    ordered = sorted(rows, key=lambda row: row.fingerprint.fingerprint)
    _upsert(
        table,
        [
            ("fingerprint", "varchar"),
            ("service_id", "bigint"),
            ("status", "int"),
            ("code", "varchar"),
            ("message", "text"),
            ("shape", "text"),
            ("sample", "jsonb"),
            ("first_seen", "timestamptz"),
            ("last_seen", "timestamptz"),
        ],
        [
            [
                row.fingerprint.fingerprint,
                row.service_id,
                row.fingerprint.status,
                row.fingerprint.code,
                row.fingerprint.message,
                row.fingerprint.shape,
                json.dumps(row.fingerprint.sample),
                _when(row.first_seen),
                _when(row.last_seen),
            ]
            for row in ordered
        ],
        "fingerprint",
        f"first_seen = {least}({table}.first_seen, excluded.first_seen), "
        f"last_seen = {greatest}({table}.last_seen, excluded.last_seen)",
    )


def upsert_days(rows: list[DayRow]) -> None:
    """Add each group's count to its day's row, creating the row when it is new."""
    least, greatest = _least_greatest()
    table = ObservationDay._meta.db_table
    ordered = sorted(rows, key=lambda row: (row.day, row.key))
    _upsert(
        table,
        [
            ("day", "date"),
            ("key", "varchar"),
            ("service_id", "bigint"),
            ("error_id", "bigint"),
            ("fingerprint_id", "varchar"),
            ("status", "int"),
            ("method", "varchar"),
            ("path", "varchar"),
            ("count", "bigint"),
            ("first_seen", "timestamptz"),
            ("last_seen", "timestamptz"),
        ],
        [
            [
                connection.ops.adapt_datefield_value(row.day),
                row.key,
                row.service_id,
                row.error_id,
                row.fingerprint,
                row.status,
                row.method,
                row.path,
                row.count,
                _when(row.first_seen),
                _when(row.last_seen),
            ]
            for row in ordered
        ],
        "day, key",
        f"count = {table}.count + excluded.count, "
        f"first_seen = {least}({table}.first_seen, excluded.first_seen), "
        f"last_seen = {greatest}({table}.last_seen, excluded.last_seen)",
    )


def write(fingerprints: list[FingerprintRow], days: list[DayRow]) -> None:
    """Both upserts, in one transaction: a day row never names a missing fingerprint."""
    with transaction.atomic():
        upsert_fingerprints(fingerprints)
        upsert_days(days)


def prune(before: date) -> tuple[int, int]:
    """Drop the days before `before`, then the fingerprints no day refers to any more;
    returns how many of each."""
    with transaction.atomic():
        days, _ = ObservationDay.objects.filter(day__lt=before).delete()
        orphans = ObservedFingerprint.objects.filter(days__isnull=True)
        fingerprints, _ = orphans.delete()
    return days, fingerprints
