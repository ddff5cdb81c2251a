"""The drift tables' writes: single-statement upserts that add counts, so that any number
of senders at once lose none (`count = count + excluded.count`).

Rows are written in key order, so two writers that touch the same groups lock them in
the same order and cannot deadlock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from django.db import connection, transaction

from errors.drift.fingerprint import Fingerprint
from errors.drift.models import ObservationDay, ObservedFingerprint

ROWS_PER_STATEMENT = 500
Row = TypeVar("Row")


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


def _when(value: datetime) -> object:
    return connection.ops.adapt_datetimefield_value(value)


def _chunks(rows: Sequence[Row]) -> list[Sequence[Row]]:
    return [rows[i : i + ROWS_PER_STATEMENT] for i in range(0, len(rows), ROWS_PER_STATEMENT)]


def upsert_fingerprints(rows: list[FingerprintRow]) -> None:
    """Insert new fingerprints; widen the first and last times of known ones."""
    least, greatest = _least_greatest()
    table = ObservedFingerprint._meta.db_table
    json_value = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    rows = sorted(rows, key=lambda row: row.fingerprint.fingerprint)
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            values = []
            params: list[Any] = []
            for row in chunk:
                found = row.fingerprint
                values.append(f"(%s, %s, %s, %s, %s, %s, {json_value}, %s, %s)")
                params += [
                    found.fingerprint,
                    row.service_id,
                    found.status,
                    found.code,
                    found.message,
                    found.shape,
                    json.dumps(found.sample),
                    _when(row.first_seen),
                    _when(row.last_seen),
                ]
            cursor.execute(
                f"INSERT INTO {table} (fingerprint, service_id, status, code, message, shape, "
                f"sample, first_seen, last_seen) VALUES {', '.join(values)} "
                "ON CONFLICT (fingerprint) DO UPDATE SET "
                f"first_seen = {least}({table}.first_seen, excluded.first_seen), "
                f"last_seen = {greatest}({table}.last_seen, excluded.last_seen)",
                params,
            )


def upsert_days(rows: list[DayRow]) -> None:
    """Add each group's count to its day's row, creating the row when it is new."""
    least, greatest = _least_greatest()
    table = ObservationDay._meta.db_table
    rows = sorted(rows, key=lambda row: (row.day, row.key))
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            params: list[Any] = []
            for row in chunk:
                params += [
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
            placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} (day, key, service_id, error_id, fingerprint_id, status, "
                f"method, path, count, first_seen, last_seen) VALUES {placeholders} "
                "ON CONFLICT (day, key) DO UPDATE SET "
                f"count = {table}.count + excluded.count, "
                f"first_seen = {least}({table}.first_seen, excluded.first_seen), "
                f"last_seen = {greatest}({table}.last_seen, excluded.last_seen)",
                params,
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
