"""The one search over the catalog, behind the search page, the API and the CLI.

`parse_query` turns what a user typed (with `service:`, `status:`, `category:`,
`lifecycle:` filters and bare status numbers) into a `SearchQuery`; `search_errors`
ranks the visible codes for it and counts them per service and status.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from django.db.models import Q

from errors.models import ErrorCode, code_key

FILTER_NAMES = ("service", "status", "category", "lifecycle")
MAX_QUERY_LENGTH = 200
FILTER_PATTERN = re.compile(r"\b(service|status|category|lifecycle):(\S+)", re.IGNORECASE)


class QueryError(ValueError):
    """A query the search cannot run, with a message that says what to fix."""


@dataclass(frozen=True)
class SearchQuery:
    """What to look for: free text plus filters."""

    text: str = ""
    service: str = ""
    status: int | None = None
    category: str = ""
    lifecycle: str = ""

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to search or filter on."""
        return not (self.text or self.service or self.status or self.category or self.lifecycle)


@dataclass
class SearchHit:
    """One ranked result."""

    error: ErrorCode
    score: float
    matched: str = ""


@dataclass
class SearchResults:
    """A page of hits, with the total and counts to narrow the search down."""

    query: SearchQuery
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    by_service: dict[str, int] = field(default_factory=dict)
    by_status: dict[int, int] = field(default_factory=dict)

    @property
    def exact_match(self) -> ErrorCode | None:
        """The single code the text names exactly (ignoring case and separators)."""
        key = code_key(self.query.text)
        exact = [hit.error for hit in self.hits if hit.error.code_key == key]
        return exact[0] if key and len(exact) == 1 and self.total >= 1 else None

    @property
    def pages(self) -> int:
        """How many pages the results fill."""
        return max(1, -(-self.total // self.per_page))


def parse_query(text: str = "", **filters: str | int | None) -> SearchQuery:
    """Read filters out of the text (`status:404 service:aisafe key revoked`).

    Filters given as arguments (form fields, API parameters) win over those in the text.
    A bare number from 100 to 599 filters by HTTP status.
    """
    text = (text or "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"The query is {len(text)} characters long: keep it to {MAX_QUERY_LENGTH}."
        )
    found: dict[str, str] = {}
    for name, value in FILTER_PATTERN.findall(text):
        found[name.lower()] = value
    text = " ".join(FILTER_PATTERN.sub(" ", text).split())
    if "status" not in found and re.fullmatch(r"[1-5]\d\d", text):
        found["status"], text = text, ""
    for name in FILTER_NAMES:
        value = filters.get(name)
        if value not in (None, ""):
            found[name] = str(value)
    return SearchQuery(
        text=text,
        service=found.get("service", "").lower(),
        status=_status(found.get("status")),
        category=found.get("category", "").lower(),
        lifecycle=_lifecycle(found.get("lifecycle", "")),
    )


def _status(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    if not re.fullmatch(r"\d{3}", value) or not 100 <= int(value) <= 599:
        raise QueryError(f"status must be a number from 100 to 599, not {value!r}.")
    return int(value)


def _lifecycle(value: str) -> str:
    value = value.lower()
    allowed = ErrorCode.Lifecycle.values
    if value and value not in allowed:
        raise QueryError(f"lifecycle must be one of {', '.join(allowed)}, not {value!r}.")
    return value


def filtered_errors(query: SearchQuery, user=None):
    """The codes the filters let through, visible to `user`."""
    errors = ErrorCode.objects.visible_to(user).select_related("service", "category")
    if query.service:
        errors = errors.filter(service__slug=query.service)
    if query.status is not None:
        errors = errors.filter(http_status=query.status)
    if query.category:
        errors = errors.filter(category__slug=query.category)
    if query.lifecycle:
        errors = errors.filter(lifecycle=query.lifecycle)
    return errors


# Ranked tiers: the earlier a field matches, the higher the code ranks.
TEXT_TIERS = (
    ("code", 100.0),
    ("aliases", 80.0),
    ("title", 60.0),
    ("summary", 50.0),
    ("messages", 50.0),
    ("description", 20.0),
    ("resolution", 20.0),
)


def _score(error: ErrorCode, text: str) -> tuple[float, str]:
    key = code_key(text)
    if key and error.code_key == key:
        return 1000.0, "code"
    if key and any(code_key(alias) == key for alias in error.aliases):
        return 900.0, "aliases"
    if key and error.code_key.startswith(key):
        return 700.0, "code"
    words = text.lower().split()
    best, where = 0.0, ""
    for name, weight in TEXT_TIERS:
        value = getattr(error, name)
        haystack = " ".join(value).lower() if isinstance(value, list) else value.lower()
        hits = sum(1 for word in words if word in haystack)
        score = weight * hits / len(words) if words else 0.0
        if score > best:
            best, where = score, name
    return best, where


def search_errors(
    query: SearchQuery, *, user=None, page: int = 1, per_page: int = 20
) -> SearchResults:
    """Rank the visible codes for `query` and return one page of them with counts."""
    errors = filtered_errors(query, user)
    if query.text:
        words = query.text.split()
        condition = Q(code_key__contains=code_key(query.text))
        for word in words:
            condition |= (
                Q(title__icontains=word)
                | Q(summary__icontains=word)
                | Q(description__icontains=word)
                | Q(resolution__icontains=word)
                | Q(aliases__icontains=word)
                | Q(messages__icontains=word)
            )
        candidates = list(errors.filter(condition))
        scored = [SearchHit(error, *_score(error, query.text)) for error in candidates]
        scored = [hit for hit in scored if hit.score > 0]
        scored.sort(key=lambda hit: (-hit.score, hit.error.service.slug, hit.error.order))
    else:
        scored = [SearchHit(error, 0.0) for error in errors.order_by("service__slug", "order")]
    start = (max(page, 1) - 1) * per_page
    return SearchResults(
        query=replace(query),
        hits=scored[start : start + per_page],
        total=len(scored),
        page=max(page, 1),
        per_page=per_page,
        by_service=dict(Counter(hit.error.service.slug for hit in scored)),
        by_status=dict(Counter(hit.error.http_status for hit in scored if hit.error.http_status)),
    )
