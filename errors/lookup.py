"""The one way to find a code by any spelling, used by every face: the pages, the API's
lookup and entry, identify's code fields and `manage.py explain`.

The rule: a spelling names the codes whose key (`code_key`: lowercase, no `_`, `-` or
space) is its key. Within a service, the codes holding the key as their own code are
found, the one spelt as asked first (then the one spelt so but for case); only when there
is none, the codes listing it as an alias. Only what the user may see counts: a draft
never hides a published code.

Codes and aliases are found through the code-key index and the search's index of the
aliases' keys (`key_holders`), a query that reads only what it finds: no worker holds
every code's keys, and a write costs no rebuild.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

from errors.codes import code_key
from errors.models import ErrorCode, Service
from errors.search.execute import engine_for, search_errors
from errors.search.query import SearchQuery

SUGGESTIONS = 5


class UnknownService(LookupError):
    """`service` names no service in the catalog."""


@dataclass(frozen=True)
class Candidate:
    """A code a key may name: its pk, whether by an alias, and its spelling."""

    pk: int
    via_alias: bool
    code: str


@dataclass
class CodeIndex:
    """Every service's code and alias keys: `{slug: {key: [Candidate, ...]}}`, the codes
    holding the key as their own before those listing it as an alias, each group in
    catalog order. Drafts are included: the callers keep what their user may see."""

    by_service: dict[str, dict[str, list[Candidate]]] = field(default_factory=dict)

    def candidates(self, service: str, key: str) -> list[Candidate]:
        """The codes of `service` that `key` may name, best first."""
        return self.by_service.get(service, {}).get(key, [])


def key_holders(*keys: str) -> CodeIndex:
    """The codes holding any of `keys` as their own or an alias's key, as a code index of
    those keys alone: a query over the code-key index and the aliases' keys for every
    KEYS_PER_QUERY keys, which reads the rows holding a key (on SQLite, a key beyond
    ASCII from the trigram index of the keys: Engine.key_holders), and no worker builds
    anything."""
    wanted = sorted({key for key in keys if key})
    index = CodeIndex()
    engine = engine_for(connection.vendor)
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        chunk = wanted[start : start + KEYS_PER_QUERY]
        parts = [engine.key_holders(key) for key in chunk]
        ids = RawSQL(" UNION ".join(sql for sql, _ in parts), [p for _, ps in parts for p in ps])
        rows = ErrorCode.objects.filter(pk__in=ids).order_by("order", "pk")
        _fill(index, rows.values_list(*INDEXED), only=set(chunk))
    return index


# Keys read by one query: each is two SELECTs of a UNION, and SQLite refuses a compound
# SELECT of more than 500 (a batch of a thousand bodies can hold as many keys).
KEYS_PER_QUERY = 100
INDEXED = ("pk", "service__slug", "code", "code_key", "aliases")


def _fill(
    index: CodeIndex, rows: Iterable[tuple[int, str, str, str, list]], only: set[str]
) -> CodeIndex:
    """Add `rows` (in catalog order) under those of their keys that are in `only`."""
    aliases_of: list[tuple[dict[str, list[Candidate]], str, Candidate]] = []
    for pk, slug, code, key, aliases in rows:
        keys = index.by_service.setdefault(slug, {})
        if key in only:
            keys.setdefault(key, []).append(Candidate(pk, False, code))
        for alias in aliases or []:
            alias_key = code_key(str(alias))
            if alias_key in only:
                aliases_of.append((keys, alias_key, Candidate(pk, True, code)))
    for keys, key, candidate in aliases_of:  # after every code's own key
        holders = keys.setdefault(key, [])
        if candidate.pk not in {held.pk for held in holders}:
            holders.append(candidate)
    return index


def _best_visible(candidates: list[Candidate], visible: set[int], code: str) -> list[Candidate]:
    """The visible candidates the rule picks: those holding the key as their own code,
    spelt as asked first (then ignoring case); only when there are none, the alias
    holders."""
    shown = [candidate for candidate in candidates if candidate.pk in visible]
    own = [candidate for candidate in shown if not candidate.via_alias]
    if not own:
        return [candidate for candidate in shown if candidate.via_alias]
    return sorted(
        own,
        key=lambda candidate: (candidate.code != code, candidate.code.lower() != code.lower()),
    )


def find_codes(
    code: str,
    *,
    service: str | None = None,
    status: int | None = None,
    user: Any = None,
    whole: bool = False,
) -> list[ErrorCode]:
    """Every visible code that `code` names in each service (or in one), those named by
    their own code before alias holders. Raises UnknownService for an unknown `service`.

    Codes are read with what an API entry shows, or `whole` (texts and examples).
    """
    return [
        match.error
        for match in find_code_matches(code, service=service, status=status, user=user, whole=whole)
    ]


def find_code_matches(
    code: str,
    *,
    service: str | None = None,
    status: int | None = None,
    user: Any = None,
    whole: bool = False,
) -> list[CodeMatch]:
    """find_codes(), each with how `code` named it (its reason and score)."""
    key = code_key(code)
    index = key_holders(key)
    slugs = [service] if service else sorted(index.by_service)
    candidates = {slug: found for slug in slugs if (found := index.candidates(slug, key))}
    if not candidates:
        if service and not Service.objects.filter(slug=service).exists():
            raise UnknownService(service)
        return []
    rows = ErrorCode.objects.visible_to(user)
    rows = rows.whole() if whole else rows.for_entries()
    if status is not None:
        rows = rows.filter(http_status=status)
    pks = [candidate.pk for found in candidates.values() for candidate in found]
    errors = rows.in_bulk(pks)
    picked = [
        (
            candidate.via_alias,
            slug,
            position,
            CodeMatch(errors[candidate.pk], candidate.via_alias, code),
        )
        for slug, found in candidates.items()
        for position, candidate in enumerate(_best_visible(found, set(errors), code))
    ]
    return [match for *_, match in sorted(picked, key=lambda item: item[:3])]


@dataclass
class CodeMatch:
    """What a spelling names in one service: the code, and how it was named."""

    error: ErrorCode
    via_alias: bool = False
    asked: str = ""  # the spelling looked up, when known

    @property
    def reason(self) -> str:
        """`exact code` (as spelt), `code` (another case or separators) or `alias`."""
        if self.via_alias:
            return "alias"
        return "exact code" if self.error.code == self.asked else "code"

    @property
    def score(self) -> float:
        """1 for the code as spelt, 0.95 for another spelling, 0.9 for an alias."""
        return {"exact code": 1.0, "code": 0.95, "alias": 0.9}[self.reason]

    def spelt_as(self, code: str) -> bool:
        """True when `code` is the code exactly as the catalog spells it."""
        return not self.via_alias and self.error.code == code


def find_code(service: str, code: str, *, user: Any = None) -> CodeMatch | None:
    """The visible code of `service` that `code` names, with its examples loaded."""
    key = code_key(code)
    if not key:
        return None
    rows = ErrorCode.objects.visible_to(user).whole()
    named = sorted(
        rows.filter(service__slug=service, code_key=key),
        key=lambda error: (error.code != code, error.code.lower() != code.lower()),
    )
    if named:
        return CodeMatch(named[0])
    holders = [candidate.pk for candidate in key_holders(key).candidates(service, key)]
    if not holders:
        return None
    visible = rows.in_bulk(holders)  # codes spelt otherwise were found above: aliases
    for pk in holders:
        if pk in visible:
            return CodeMatch(visible[pk], via_alias=True)
    return None


# How alike two code keys must be spelt (difflib's ratio) for one to suggest the other.
SPELT_ALIKE = 0.6


def nearest_codes(
    code: str,
    *,
    service: str = "",
    status: int | None = None,
    user: Any = None,
    limit: int = SUGGESTIONS,
) -> list[ErrorCode]:
    """The visible codes (of one service, or all) spelt most like `code`, nearest first,
    for an HTTP status number those of that status: the search's code tiers and its
    misspelling lookup, which read their indexes (a read of every code into Python took
    seconds at a million codes); it costs what that search costs."""
    number = code.strip()
    if status is None and number.isascii() and number.isdigit() and 100 <= int(number) <= 599:
        query = SearchQuery(service=service, status=int(number))  # the codes of that status
        return [hit.error for hit in search_errors(query, user=user, per_page=limit).hits]
    key = code_key(code)
    query = SearchQuery(text=code, service=service, status=status)
    found: list[tuple[float, ErrorCode]] = []
    for hit in search_errors(query, user=user, per_page=limit * 4).hits:
        # Found by a code tier (the key, inside a key, misspelt), or by words but spelt
        # alike (`NOT_FUOND` finds NOT_FOUND by the word `not` first).
        spelt = max(
            difflib.SequenceMatcher(None, key, other).ratio()
            for other in (hit.error.code_key, *map(code_key, hit.error.aliases or []))
        )
        if hit.reason not in ("words", "message", "") or spelt >= SPELT_ALIKE:
            found.append((spelt if hit.reason in ("words", "message") else 1 + spelt, hit.error))
    found.sort(key=lambda pair: -pair[0])
    return [error for _, error in found[:limit]]


def find_service(slug: str) -> Service | None:
    """The service with this slug, ignoring case."""
    return Service.objects.filter(slug__iexact=slug).first()


def nearest_services(slug: str) -> list[Service]:
    """Services whose slug or name looks like `slug`, nearest first."""
    return Service.objects.nearest(slug, SUGGESTIONS)
