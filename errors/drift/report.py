"""Where a service's catalog and its traffic disagree, over a window of days.

One function builds the report for the API, the page and `drift_report`: the same keys
everywhere. Counts are per day (UTC), so a window of `7d` is today and the six days
before it. A few queries whatever the traffic: the groups seen, their fingerprints, the
service's entries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Max, Min, Q, Sum
from django.utils import timezone
from django.utils.timesince import timesince

from errors.code_rows import Links
from errors.codes import code_key
from errors.drift.models import ObservationDay, ObservedFingerprint
from errors.drift.redact import text_skeleton
from errors.models import ErrorCode, Service

KINDS = ("undocumented", "never_seen", "status_mismatch", "retired_in_use", "message_drift")
MAX_WINDOW_DAYS = 366
DEFAULT_WINDOW = "7d"
# The windows the API accepts, exactly: 1-366 days, 1-52 weeks or 1-8784 hours (366 days),
# no padding or spaces. Its schema states this pattern, so what it documents and what it
# accepts are one set (the command line is more lenient: window_days).
API_WINDOW_PATTERN = (
    r"^(?:(?:[1-9]|[1-9][0-9]|[12][0-9]{2}|3[0-5][0-9]|36[0-6])[dD]"
    r"|(?:[1-9]|[1-4][0-9]|5[0-2])[wW]"
    r"|(?:[1-9]|[1-9][0-9]{1,2}|[1-7][0-9]{3}|8[0-6][0-9]{2}|87[0-7][0-9]|878[0-4])[hH])$"
)
MAX_UNDOCUMENTED = 500
RETIRED = (ErrorCode.Lifecycle.DEPRECATED, ErrorCode.Lifecycle.REMOVED)
WINDOW = re.compile(r"\s*(\d{1,5})\s*([dwh])\s*", re.I)


class InvalidWindow(ValueError):
    """A `since` that is not a number of days, weeks or hours."""


def window_days(since: str, most: int = MAX_WINDOW_DAYS) -> int:
    """`7d`, `2w` or `48h` -> whole days (hours round up): counts are kept per day.
    At most `most` days."""
    match = WINDOW.fullmatch(since or "")
    if not match:
        raise InvalidWindow(
            f"since={since!r} is not a window: write a number of days, weeks or hours, "
            "like 7d, 2w or 48h."
        )
    number, unit = int(match.group(1)), match.group(2).lower()
    days = {"d": number, "w": number * 7, "h": -(-number // 24)}[unit]
    if not 1 <= days <= most:
        raise InvalidWindow(f"since={since!r}: the window is 1 to {most} days.")
    return days


@dataclass(frozen=True)
class Window:
    """The days a report covers, today included."""

    first: date
    now: datetime

    @classmethod
    def of(cls, days: int, now: datetime | None = None) -> Window:
        """The last `days` days up to `now`."""
        now = (now or timezone.now()).astimezone(UTC)
        return cls(now.date() - timedelta(days=days - 1), now)

    @property
    def start(self) -> datetime:
        """Midnight (UTC) of the first day."""
        return datetime.combine(self.first, datetime.min.time(), tzinfo=UTC)

    def as_dict(self) -> dict[str, str]:
        return {"from": _iso(self.start), "to": _iso(self.now)}


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _typical(error: ErrorCode) -> set[str]:
    return {text_skeleton(str(message)) for message in error.messages or []}


def drift_report(
    service: Service, days: int, *, url: Callable[[str], str] = str, now: datetime | None = None
) -> dict[str, Any]:
    """The drift of `service` over the last `days` days, as the API answers it.

    `url` makes the entries' page addresses absolute (the API passes the request's).
    """
    window = Window.of(days, now)
    groups = list(
        ObservationDay.objects.filter(service=service, day__gte=window.first)
        .values("error_id", "fingerprint_id", "status")
        .annotate(count=Sum("count"), first=Min("first_seen"), last=Max("last_seen"))
        .order_by()
    )
    # Every fingerprint a service's rows name has that service; the samples are read
    # only for the undocumented rows listed, below.
    prints = {
        row["fingerprint"]: row
        for row in ObservedFingerprint.objects.filter(
            service=service, last_seen__gte=window.start
        ).values("fingerprint", "status", "code", "message", "draft_id")
    }
    # What the report reads of each entry: the rest of a thousand entries (texts, HTML,
    # forms) was most of a drift page's time.
    entries = {
        error.pk: error
        for error in ErrorCode.objects.filter(service=service, published=True)
        .only("code", "http_status", "lifecycle", "messages", "aliases", "order", "service_id")
        .order_by("order", "code")
    }
    links = Links(service)
    documented_keys = {code_key(error.code) for error in entries.values()} | {
        code_key(str(alias)) for error in entries.values() for alias in error.aliases or []
    }
    typical = {pk: _typical(error) for pk, error in entries.items()}
    undocumented: dict[str, dict[str, Any]] = {}
    seen: set[int] = set()
    mismatch: dict[tuple[str, int], dict[str, Any]] = {}
    retired: dict[str, dict[str, Any]] = {}
    drift: dict[tuple[str, str], dict[str, Any]] = {}
    for group in groups:
        found = prints[str(group["fingerprint_id"])]  # the stubs take to_field for an id
        error = entries.get(group["error_id"]) if group["error_id"] else None
        if error is None:
            # Documented since it was seen: its code names an entry now, or an editor
            # made (and published) an entry from it.
            if found["code"] and code_key(found["code"]) in documented_keys:
                continue
            if found["draft_id"] is not None and found["draft_id"] in entries:
                continue
            row = undocumented.setdefault(
                found["fingerprint"],
                {
                    "fingerprint": found["fingerprint"],
                    "status": found["status"],
                    "code": found["code"],
                    "message": found["message"],
                    "count": 0,
                    "first_seen": group["first"],
                    "last_seen": group["last"],
                    "sample": None,
                },
            )
            _widen(row, group)
            continue
        seen.add(error.pk)
        if error.http_status is not None and group["status"] != error.http_status:
            item = mismatch.setdefault(
                (error.code, group["status"]),
                {
                    "code": error.code,
                    "documented_status": error.http_status,
                    "observed_status": group["status"],
                    "count": 0,
                },
            )
            item["count"] += group["count"]
        if error.lifecycle in RETIRED:
            item = retired.setdefault(
                error.code,
                {"code": error.code, "lifecycle": error.lifecycle, "count": 0, "last_seen": None},
            )
            item["count"] += group["count"]
            item["last_seen"] = max(filter(None, (item["last_seen"], group["last"])))
        message = found["message"]
        if message and error.messages and message not in typical[error.pk]:
            item = drift.setdefault(
                (error.code, message),
                {"code": error.code, "message": message, "count": 0},
            )
            item["count"] += group["count"]
    never_seen = [
        {
            "code": error.code,
            "http_status": error.http_status,
            "html_url": url(links.code(error)),
        }
        for error in entries.values()
        if error.pk not in seen and error.lifecycle != ErrorCode.Lifecycle.REMOVED
    ]
    by_count: Callable[[dict[str, Any]], Any] = lambda row: (-row["count"], row["code"])  # noqa: E731
    listed = sorted(undocumented.values(), key=lambda row: (-row["count"], row["fingerprint"]))
    listed = listed[:MAX_UNDOCUMENTED]
    if listed:
        samples = dict(
            ObservedFingerprint.objects.filter(
                fingerprint__in=[row["fingerprint"] for row in listed]
            ).values_list("fingerprint", "sample")
        )
        for row in listed:
            row["sample"] = samples.get(row["fingerprint"])
    return {
        "service": service.slug,
        "window": window.as_dict(),
        "observed": sum(group["count"] for group in groups),
        "undocumented": [_times(row) for row in listed],
        "never_seen": never_seen,
        "status_mismatch": sorted(mismatch.values(), key=by_count),
        "retired_in_use": [_times(row) for row in sorted(retired.values(), key=by_count)],
        "message_drift": sorted(drift.values(), key=by_count),
    }


def _widen(row: dict[str, Any], group: Mapping[str, Any]) -> None:
    row["count"] += group["count"]
    row["first_seen"] = min(row["first_seen"], group["first"])
    row["last_seen"] = max(row["last_seen"], group["last"])


def _times(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _iso(value) if isinstance(value, datetime) else value for key, value in row.items()
    }


def failing_kinds(report: dict[str, Any], kinds: list[str]) -> list[str]:
    """The kinds among `kinds` that the report has rows of."""
    return [kind for kind in kinds if report.get(kind)]


TITLES = {
    "undocumented": "Undocumented (no entry matches)",
    "never_seen": "Never seen",
    "status_mismatch": "Status mismatch",
    "retired_in_use": "Deprecated or removed, still sent",
    "message_drift": "Message drift",
}


def _line(kind: str, row: dict[str, Any]) -> str:
    if kind == "undocumented":
        label = row["code"] or row["message"][:80] or "(no code or message)"
        seen = f"x{row['count']:,}  last {row['last_seen']}"
        return f"  {row['status']} {label}  {seen}  [{row['fingerprint']}]"
    if kind == "never_seen":
        return f"  {row['code']} ({row['http_status'] or 'no status'})"
    if kind == "status_mismatch":
        return (
            f"  {row['code']}: documented {row['documented_status']}, "
            f"seen {row['observed_status']}  x{row['count']:,}"
        )
    if kind == "retired_in_use":
        return f"  {row['code']} ({row['lifecycle']})  x{row['count']:,}  last {row['last_seen']}"
    return f"  {row['code']}: {row['message']!r}  x{row['count']:,}"


def report_lines(report: dict[str, Any]) -> list[str]:
    """The report as text, for a terminal or a CI log."""
    window = report["window"]
    lines = [
        f"{report['service']}: {report['observed']:,} observations "
        f"from {window['from']} to {window['to']}"
    ]
    for kind in KINDS:
        rows = report[kind]
        lines.append(f"{TITLES[kind]}: {len(rows)}")
        lines += [_line(kind, row) for row in rows]
    return lines


def observations_per_day(service: Service, window: Window) -> dict[date, int]:
    """The service's observations per day in the window."""
    rows = (
        ObservationDay.objects.filter(service=service, day__gte=window.first)
        .values("day")
        .annotate(total=Sum("count"))
        .order_by()
    )
    return {row["day"]: row["total"] for row in rows}


@dataclass
class CodeActivity:
    """How often one entry was seen lately, for its page."""

    days: int
    count: int
    last_seen: datetime | None
    statuses: dict[int, int]
    per_day: dict[date, int]
    window: Window

    @property
    def sentence(self) -> str:
        """`seen 1,240 times in the last 30 days, last 2 hours ago, always 429`."""
        if not self.count:
            return f"never seen in {self.days} days"
        times = "once" if self.count == 1 else f"{self.count:,} times"
        last = self.last_seen or self.window.now
        recent = (self.window.now - last).total_seconds() < 60
        ago = "under a minute" if recent else timesince(last, self.window.now, depth=1)
        parts = [f"seen {times} in the last {self.days} days", f"last {ago} ago"]
        if len(self.statuses) == 1:
            parts.append(f"always {next(iter(self.statuses))}")
        else:
            ordered = sorted(self.statuses.items(), key=lambda item: -item[1])
            parts.append("as " + ", ".join(f"{status} ({n:,})" for status, n in ordered))
        return ", ".join(parts)


def code_activity(error: ErrorCode, days: int = 30) -> CodeActivity | None:
    """An entry's observations over `days` days; None when its service reports none at
    all (then "never seen" would say nothing). One query."""
    window = Window.of(days)
    # The entry's own rows (index on error, day), and one row of its service's to tell
    # "never seen" from "the service reports nothing".
    probe = ObservationDay.objects.filter(
        service_id=error.service_id, day__gte=window.first
    ).values("pk")[:1]
    rows = list(
        ObservationDay.objects.filter(day__gte=window.first)
        .filter(Q(error_id=error.pk) | Q(pk__in=probe))
        .values("error_id", "day", "status")
        .annotate(total=Sum("count"), last=Max("last_seen"))
        .order_by()
    )
    if not rows:
        return None
    statuses: dict[int, int] = defaultdict(int)
    per_day: dict[date, int] = defaultdict(int)
    last: datetime | None = None
    for row in rows:
        if row["error_id"] != error.pk:
            continue
        statuses[row["status"]] += row["total"]
        per_day[row["day"]] += row["total"]
        last = max(filter(None, (last, row["last"])))
    return CodeActivity(days, sum(statuses.values()), last, dict(statuses), dict(per_day), window)
