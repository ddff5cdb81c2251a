"""What a user typed, read into a `SearchQuery`: free text plus the `service:`, `status:`,
`category:` and `lifecycle:` filters, and a bare status number."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection

from errors.catalog_version import catalog_version
from errors.models import ErrorCode, Service
from errors.querysets import ErrorCodeQuerySet, can_see_drafts
from errors.search.plan import synonym_groups
from errors.versioned_cache import VersionedCache

FILTER_NAMES = ("service", "status", "category", "lifecycle")


MAX_QUERY_LENGTH = 200


FILTER_PATTERN = re.compile(r"\b(service|status|category|lifecycle):(\S+)", re.IGNORECASE)


class QueryError(ValueError):
    """A query the search cannot run, with a message that says what to fix."""


class UnknownService(QueryError):
    """A service filter (`service:x`, or the form's) that names no service."""

    def __init__(self, slug: str, near: str = "") -> None:
        hint = f": did you mean {near!r}?" if near else "."
        super().__init__(f"There is no service {slug!r}{hint}")
        self.slug, self.near = slug, near


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

    @property
    def is_filtered(self) -> bool:
        """True when a filter keeps some codes out (beyond who may see them): one of
        FILTER_NAMES, each of which `_filtered` reads."""
        return any(getattr(self, name) not in (None, "") for name in FILTER_NAMES)


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


def filtered_errors(query: SearchQuery, user: Any = None) -> ErrorCodeQuerySet:
    """The codes the filters let through, visible to `user`."""
    return _filtered(query, can_see_drafts(user))


def _filtered(query: SearchQuery, drafts: bool) -> ErrorCodeQuerySet:
    # A filter added here is one SearchQuery.is_filtered names too: without it, search
    # reads a match's placing from its index row and would not apply it.
    errors = ErrorCode.objects.visible(drafts=drafts).select_related("service", "category")
    if query.service:
        errors = errors.filter(service__slug=query.service)
    if query.status is not None:
        errors = errors.filter(http_status=query.status)
    if query.category:
        errors = errors.filter(category__slug=query.category)
    if query.lifecycle:
        errors = errors.filter(lifecycle=query.lifecycle)
    return errors


# What the engines read of each filtered code, joined to their index.
FILTER_COLUMNS = ("id", "code_key", "http_status", "order", "service_id")


def filter_sql(query: SearchQuery, user: Any = None) -> tuple[str, tuple[Any, ...]]:
    """The SQL (and its parameters) of the codes the filters let through, visible to
    `user`, reading FILTER_COLUMNS: what the engines join their index to."""
    return _filter_sql(
        connection.vendor,
        replace(query, text=""),
        can_see_drafts(user),
    )


@functools.lru_cache(maxsize=512)
def _filter_sql(vendor: str, filters: SearchQuery, drafts: bool) -> tuple[str, tuple[Any, ...]]:
    # Compiled once per set of filters and database: the ORM compiled the same statement
    # again for every search (about a tenth of a worker's samples under search; asked in
    # turn over HTTP, 0.3-0.6 ms of 12). The SQL holds no catalog data (the filters are
    # parameters), so no write retires it.
    sql, params = (
        _filtered(filters, drafts).order_by().values(*FILTER_COLUMNS).query.sql_with_params()
    )
    return sql, tuple(params)


# --------------------------------------------------------------------------- issue 15


# What search reads of no service: the long texts of its page. Reading and decoding them
# for every hit was a fifth of a search's time at 20-40 hits.
SERVICE_TEXTS = (
    "description",
    "description_html",
    "envelope_example",
    "envelope_fields",
    "envelope_alternatives",
    "stability",
    "stability_html",
    "code_pattern",
)


@dataclass(frozen=True)
class Vocabulary:
    """What the catalog adds to the words of a query: its services' names (-> slug) and
    the synonym groups (built in, and each service's own); and the services themselves
    by id (without SERVICE_TEXTS), which hits name. Joining them to each page of codes
    cost more than reading the codes (PostgreSQL planned the three tables' join for
    about 1 ms a search). The instances are shared by every request of the process under
    one catalog version: read them, never change them."""

    names: dict[str, str]
    synonyms: dict[str, tuple[str, ...]]
    services: dict[int, Service]


_vocabulary: VersionedCache[Vocabulary] = VersionedCache()


def _read_vocabulary() -> Vocabulary:
    names: dict[str, str] = {}
    groups: list[tuple[str, ...]] = []
    services = Service.objects.defer(*SERVICE_TEXTS).in_bulk()
    for service in services.values():
        for spelling in (service.slug, service.slug.replace("-", " "), service.name):
            words = " ".join(re.findall(r"\w+", spelling.lower()))
            if words:
                names[words] = service.slug
        groups += [tuple(str(word) for word in group) for group in service.search_synonyms or []]
    return Vocabulary(names, synonym_groups(tuple(groups)), services)


def vocabulary(version: str | None = None) -> Vocabulary:
    """The catalog's vocabulary, read once per catalog version (`version`, when the
    caller has just read it)."""
    return _vocabulary.get(version or catalog_version(), _read_vocabulary)


def held_vocabulary() -> tuple[str, Vocabulary] | None:
    """The vocabulary this process holds and the catalog version it was read under,
    without reading the version: search checks it against the version that comes with
    its word statistics, and saves a query."""
    return _vocabulary.held()


def with_named_service(query: SearchQuery, names: dict[str, str]) -> SearchQuery:
    """A query whose text names a service ("sigsentry rate limited") searches that
    service for the rest of the text: the name filters, it is not a word to match."""
    if query.service or not query.text:
        return query
    words = re.findall(r"\w+", query.text.lower())
    # The longest name first: "elder signals" before a service called "signals".
    for size in range(min(len(words), 4), 0, -1):
        for start in range(len(words) - size + 1):
            slug = names.get(" ".join(words[start : start + size]))
            if slug and len(words) > size:
                rest = words[:start] + words[start + size :]
                return replace(query, text=" ".join(rest), service=slug)
    return query
