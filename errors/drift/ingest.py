"""Observed error responses in, counts out: validate each, recognise it with
`errors.identify`, and add it to its day's group.

One bad observation is rejected by its index with a reason; the rest are kept. The API
(a batch of at most 1,000) and `manage.py ingest_observations` (NDJSON lines) share
everything here. Nothing raw is kept, logged or put in a rejection's reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from errors import identify
from errors.bodies import COMMON_CODE_POINTERS, split_http_example
from errors.catalog_version import catalog_version
from errors.drift import redact, store
from errors.drift.fingerprint import Fingerprint, fingerprint_of
from errors.lookup import UnknownService
from errors.matchers import matchers
from errors.models import ErrorCode, Service
from errors.versioned_cache import VersionedCache

MAX_BATCH = 1000
MAX_BODY_BYTES = 64 * 1024
MAX_COUNT = 1_000_000_000
FUTURE_SLACK = timedelta(minutes=10)
# identify's best entry counts as the match from its own threshold up (identify.CONFIDENT,
# the `"match": "confident"` of the API); below, the observation is undocumented. A
# status-only guess without the service's envelope is not enough.
MIN_CONFIDENCE = identify.CONFIDENT
FLUSH_EVERY = 20_000
RECOGNISED_CACHE = 100_000
FIELDS = ("service", "status", "body", "headers", "method", "path", "seen_at", "count")
HTTP_DUMP = re.compile(r"\s*HTTP/[\d.]+\s+\d{3}")


class InvalidObservation(ValueError):
    """An observation that cannot be counted; the message says what to fix."""


class InvalidBatch(ValueError):
    """A batch that is not a list of observations, or too long; nothing was kept."""


@dataclass(frozen=True)
class Observation:
    """One validated observation (still holding its raw body, never stored)."""

    service: str | None
    status: int
    body: Any
    plain: bool
    method: str
    path: str
    seen_at: datetime
    count: int


@dataclass
class IngestResult:
    """What became of a batch or a file."""

    accepted: int = 0
    matched: int = 0
    unmatched: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rejected_total: int = 0

    def add(self, other: IngestResult) -> None:
        """Add another file's result to this one (rejections are counted, not listed)."""
        self.accepted += other.accepted
        self.matched += other.matched
        self.unmatched += other.unmatched
        self.rejected_total += other.rejected_total

    def as_dict(self) -> dict[str, Any]:
        """The API's answer: accepted, matched, unmatched, rejected (index, detail)."""
        return {
            "accepted": self.accepted,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "rejected": self.rejected,
        }


def _status(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidObservation("status must be the HTTP status as a number, like 429.")
    if not 100 <= value <= 599:
        raise InvalidObservation(f"status {value} is not an HTTP status: use 100 to 599.")
    return value


def _body(value: Any, headers: Mapping[str, str]) -> tuple[Any, bool]:
    """The body parsed as identify reads it (an `HTTP/1.1 ...` dump loses its head), and
    whether it is plain text."""
    if isinstance(value, str):
        size = len(value.encode("utf-8", "replace"))
    else:
        size = len(json.dumps(value, ensure_ascii=False, default=str))
    if size > MAX_BODY_BYTES:
        raise InvalidObservation(
            f"body is {size:,} bytes: at most {MAX_BODY_BYTES:,} (64 KiB) are read; "
            "send the start of the body."
        )
    if isinstance(value, str) and HTTP_DUMP.match(value):
        value = split_http_example(value)[1]
    content_type = headers.get("content-type", "")
    plain = isinstance(value, str) and bool(content_type) and "json" not in content_type
    return (value if plain else identify.parse_body(value)), plain


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidObservation(
            'headers must be an object of strings, like {"Retry-After": "30"}.'
        )
    return {str(name).lower(): text for name, text in value.items()}


def _seen_at(value: Any, now: datetime) -> datetime:
    if value is None:
        return now
    when = parse_datetime(value) if isinstance(value, str) else None
    if when is None:
        raise InvalidObservation(
            "seen_at must be an ISO 8601 date and time, like 2026-12-01T10:00:00Z."
        )
    if timezone.is_naive(when):
        when = when.replace(tzinfo=UTC)
    if when > now + FUTURE_SLACK:
        raise InvalidObservation("seen_at is in the future: check the sender's clock.")
    return when.astimezone(UTC)


def _count(value: Any) -> int:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise InvalidObservation(f"count must be a whole number from 1 to {MAX_COUNT:,}.")
    return value


def _text(value: Any, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidObservation(f"{name} must be text of at most {limit} characters.")
    return value


def read_observation(item: Any, services: Mapping[str, int], now: datetime) -> Observation:
    """Validate one observation as sent (a JSON object); InvalidObservation says what
    is wrong. `services` maps the known slugs to their ids."""
    if not isinstance(item, dict):
        raise InvalidObservation("each observation must be a JSON object with a status.")
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise InvalidObservation(
            f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}: "
            f"an observation has {', '.join(FIELDS)}."
        )
    if "status" not in item:
        raise InvalidObservation("status is missing: send the HTTP status, like 429.")
    status = _status(item["status"])
    service = item.get("service") or None
    if service is not None and (not isinstance(service, str) or service not in services):
        shown = repr(service)[:60]
        raise InvalidObservation(
            f"there is no service {shown}: GET /api/v1/services/ lists the slugs "
            "(or leave service out and identify decides)."
        )
    body, plain = _body(item.get("body", ""), _headers(item.get("headers")))
    method = _text(item.get("method"), "method", 10).upper()
    if method and not redact.METHOD.fullmatch(method):
        raise InvalidObservation("method must be an HTTP method, like GET.")
    return Observation(
        service=service,
        status=status,
        body=body,
        plain=plain,
        method=method,
        path=redact.path_template(_text(item.get("path"), "path", 2000)),
        seen_at=_seen_at(item.get("seen_at"), now),
        count=_count(item.get("count")),
    )


def identified_entry(body: Any, status: int, service: str | None, plain: bool) -> ErrorCode | None:
    """The catalog entry a (skeleton) body is, or None: the one place drift asks
    identify, and where its answer becomes a yes or no."""
    try:
        found = identify.identify(
            identify.PlainText(body) if plain and isinstance(body, str) else body,
            status=status,
            service=service,
            limit=1,
        )
    except UnknownService:  # removed from the catalog since the batch began
        return None
    best = found[0] if found else None
    return best.error if best is not None and best.confidence >= MIN_CONFIDENCE else None


@dataclass(frozen=True)
class Recognised:
    """What an observation is: its service, its entry (or none) and its fingerprint."""

    service_id: int | None
    error_id: int | None
    fingerprint: Fingerprint


# identify's answers by skeleton, kept in the process for the catalog version: the API's
# batches, one request each, share them.
_answers: VersionedCache[dict[tuple[Any, ...], Recognised]] = VersionedCache()


class Recogniser:
    """identify's answers for skeleton bodies, kept for the catalog version: a million
    observations are mostly the same few thousand kinds of response."""

    def __init__(self, services: Mapping[str, int]) -> None:
        self.services = services
        self.version = ""
        self.refresh()

    def refresh(self) -> None:
        """Start over when the catalog changed since the answers were kept."""
        version = catalog_version()
        if version != self.version:
            self.version = version
            self.matchers = matchers(version)
            pointers = {p for m in self.matchers.values() for p, _ in m.code_pointers}
            self.keep = frozenset(pointers | set(COMMON_CODE_POINTERS))
            self.answers = _answers.get(version, dict)

    def recognise(self, observation: Observation) -> Recognised:
        """Recognise one observation from its skeleton body (no raw value goes further)."""
        body = observation.body
        skeleton = (
            redact.text_skeleton(body)
            if isinstance(body, str)
            else redact.skeleton_body(body, self.keep)
        )
        key = (
            observation.service,
            observation.status,
            observation.plain,
            skeleton if isinstance(skeleton, str) else json.dumps(skeleton, sort_keys=True),
        )
        found = self.answers.get(key)
        if found is None:
            if len(self.answers) >= RECOGNISED_CACHE:
                self.answers.clear()
            found = self.answers[key] = self._recognise(skeleton, observation)
        return found

    def _recognise(self, skeleton: Any, observation: Observation) -> Recognised:
        error = identified_entry(
            skeleton, observation.status, observation.service, observation.plain
        )
        slug = error.service.slug if error is not None else observation.service
        matcher = self.matchers.get(slug) if slug else None
        return Recognised(
            service_id=error.service_id if error is not None else self.services.get(slug or ""),
            error_id=error.pk if error is not None else None,
            fingerprint=fingerprint_of(skeleton, observation.status, slug or "", matcher),
        )


class Tally:
    """Observations added up in memory by day and group, written every FLUSH_EVERY."""

    def __init__(self, flush_every: int = FLUSH_EVERY) -> None:
        self.services = dict(Service.objects.values_list("slug", "pk"))
        self.recogniser = Recogniser(self.services)
        self.flush_every = flush_every
        self.now = timezone.now()
        self.result = IngestResult()
        self.pending = 0
        self.days: dict[tuple[date, str], store.DayRow] = {}
        self.fingerprints: dict[str, store.FingerprintRow] = {}

    def add_item(self, index: int, item: Any) -> None:
        """Validate, recognise and count one item, or record why it was rejected."""
        try:
            observation = read_observation(item, self.services, self.now)
        except InvalidObservation as exc:
            self.reject(index, str(exc))
            return
        self.add(observation)

    def reject(self, index: int, detail: str) -> None:
        """Record a rejected item (the first thousand are listed)."""
        self.result.rejected_total += 1
        if len(self.result.rejected) < MAX_BATCH:
            self.result.rejected.append({"index": index, "detail": detail})

    def add(self, observation: Observation) -> None:
        """Count one valid observation."""
        found = self.recogniser.recognise(observation)
        self.result.accepted += 1
        if found.error_id is not None:
            self.result.matched += 1
        else:
            self.result.unmatched += 1
        when = observation.seen_at
        fingerprint = found.fingerprint.fingerprint
        seen = self.fingerprints.get(fingerprint)
        if seen is None:
            self.fingerprints[fingerprint] = store.FingerprintRow(
                found.fingerprint, found.service_id, when, when
            )
        else:
            seen.first_seen, seen.last_seen = min(seen.first_seen, when), max(seen.last_seen, when)
        group = (found.service_id, found.error_id, fingerprint, observation.status,
                 observation.method, observation.path)  # fmt: skip
        key = hashlib.md5(repr(group).encode(), usedforsecurity=False).hexdigest()
        day = when.date()
        row = self.days.get((day, key))
        if row is None:
            self.days[(day, key)] = store.DayRow(day, key, *group, observation.count, when, when)
        else:
            row.count += observation.count
            row.first_seen, row.last_seen = min(row.first_seen, when), max(row.last_seen, when)
        self.pending += 1
        if self.pending >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Write what was added up since the last flush."""
        if self.days:
            store.write(list(self.fingerprints.values()), list(self.days.values()))
        self.days, self.fingerprints, self.pending = {}, {}, 0
        self.recogniser.refresh()


def ingest_batch(items: Any) -> IngestResult:
    """The API's batch: a list of at most MAX_BATCH observations; bad ones are
    rejected by index, the rest counted."""
    if not isinstance(items, list):
        raise InvalidBatch(
            'Send {"observations": [...]}: a JSON object whose observations are a list.'
        )
    if len(items) > MAX_BATCH:
        raise InvalidBatch(
            f"{len(items):,} observations in one request: at most {MAX_BATCH:,}; "
            "split the batch and send the rest in another request."
        )
    tally = Tally()
    for index, item in enumerate(items):
        tally.add_item(index, item)
    tally.flush()
    return tally.result


def ingest_lines(
    lines: Iterable[str | bytes],
    progress: Callable[[int], object] | None = None,
    flush_every: int = FLUSH_EVERY,
) -> IngestResult:
    """NDJSON: one observation per line (blank lines skipped); a rejected line is
    listed by its number, counting from 1. Counts are written every `flush_every`."""
    tally = Tally(flush_every)
    for number, line in enumerate(lines, start=1):
        if progress is not None:
            progress(len(line))
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (ValueError, RecursionError):
            tally.reject(number, "this line is not JSON: write one JSON object per line.")
            continue
        tally.add_item(number, item)
    tally.flush()
    return tally.result
