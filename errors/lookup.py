"""The one way to find a code by any spelling, used by every face: the pages, the API's
lookup and entry, identify's code fields and `manage.py explain`.

The rule: a spelling names the codes whose key (`code_key`: lowercase, no `_`, `-` or
space) is its key. Within a service, a code that holds the name itself comes before one
that lists it as an alias, and among codes sharing a key the one spelt the same (but
for case) comes first. Nothing the user may not see (drafts) is ever found.

Aliases are looked up in the code index, built once per catalog version and kept in each
worker's memory (errors.versioned_cache): a JSON list cannot be searched by key in SQL.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from errors.catalog_version import catalog_version
from errors.models import ErrorCode, Service, code_key
from errors.versioned_cache import VersionedCache

SUGGESTIONS = 5


class UnknownService(LookupError):
    """`service` names no service in the catalog."""


@dataclass
class CodeIndex:
    """Every service's code and alias keys: `{slug: {key: (pk, via_alias)}}`.

    A key that is a code of the service points at that code, whatever aliases say.
    """

    by_service: dict[str, dict[str, tuple[int, bool]]] = field(default_factory=dict)

    def get(self, service: str, key: str) -> tuple[int, bool] | None:
        """(pk, via_alias) of the code of `service` with this key, or None."""
        keys = self.by_service.get(service)
        return keys.get(key) if keys is not None else None


def build_code_index() -> CodeIndex:
    """Read every code's key and aliases (one query, two with the services)."""
    index = CodeIndex({slug: {} for slug in Service.objects.values_list("slug", flat=True)})
    rows = ErrorCode.objects.order_by().values_list("pk", "service__slug", "code_key", "aliases")
    for pk, slug, key, aliases in rows.iterator(chunk_size=2000):
        keys = index.by_service[slug]
        keys[key] = (pk, False)
        for alias in aliases or []:
            keys.setdefault(code_key(str(alias)), (pk, True))
    return index


_index: VersionedCache[CodeIndex] = VersionedCache()


def code_index(version: str | None = None) -> CodeIndex:
    """The code index of the catalog `version` (read from the database when not given)."""
    return _index.get(version or catalog_version(), build_code_index)


def find_codes(
    code: str,
    *,
    service: str | None = None,
    status: int | None = None,
    user: Any = None,
    whole: bool = False,
) -> list[ErrorCode]:
    """Every visible code spelt `code` or carrying it as an alias, one per service, those
    named by their own code first. Raises UnknownService for an unknown `service`.

    Codes are read with what an API entry shows, or `whole` (texts and examples).
    """
    key = code_key(code)
    index = code_index()
    if service and service not in index.by_service:
        raise UnknownService(service)
    slugs = [service] if service else list(index.by_service)
    found = {hit[0]: hit[1] for slug in slugs if (hit := index.get(slug, key)) is not None}
    if not found:
        return []
    rows = ErrorCode.objects.visible_to(user)
    rows = rows.whole() if whole else rows.for_entries()
    if status is not None:
        rows = rows.filter(http_status=status)
    errors = rows.in_bulk(list(found)).values()
    return sorted(errors, key=lambda error: (found[error.pk], error.service.slug))


@dataclass
class CodeMatch:
    """What a spelling names in one service: the code, and how it was named."""

    error: ErrorCode
    via_alias: bool = False

    def spelt_as(self, code: str) -> bool:
        """True when `code` is the code exactly as the catalog spells it."""
        return not self.via_alias and self.error.code == code


def find_code(service: str, code: str, *, user: Any = None) -> CodeMatch | None:
    """The visible code of `service` that `code` names, with its examples loaded."""
    key = code_key(code)
    if not key:
        return None
    rows = (
        ErrorCode.objects.visible_to(user)
        .select_related("service", "category", "replaced_by__service")
        .prefetch_related("examples")
    )
    named = sorted(
        rows.filter(service__slug=service, code_key=key),
        key=lambda error: (error.code != code, error.code.lower() != code.lower()),
    )
    if named:
        return CodeMatch(named[0])
    hit = code_index().get(service, key)
    if hit is None or not hit[1]:
        return None
    error = rows.filter(pk=hit[0]).first()
    return CodeMatch(error, via_alias=True) if error is not None else None


def nearest_codes(
    code: str, *, service: str = "", user: Any = None, limit: int = SUGGESTIONS
) -> list[ErrorCode]:
    """The visible codes (of one service, or all) spelt most like `code`, nearest first;
    for an HTTP status number, the codes with that status first."""
    errors = ErrorCode.objects.visible_to(user).select_related("service")
    if service:
        errors = errors.filter(service__slug=service)
    rows = list(errors.only("code", "code_key", "aliases", "http_status", "service__slug",
                            "service__name"))  # fmt: skip
    found: list[ErrorCode] = []
    if code.strip().isdigit():
        found = [error for error in rows if error.http_status == int(code.strip())]
    by_key: dict[str, list[ErrorCode]] = defaultdict(list)
    for error in rows:
        by_key[error.code_key].append(error)
        for alias in error.aliases:
            if error not in by_key[code_key(alias)]:
                by_key[code_key(alias)].append(error)
    for close in difflib.get_close_matches(code_key(code), by_key, n=limit * 2, cutoff=0.6):
        found.extend(error for error in by_key[close] if error not in found)
    return found[:limit]


def find_service(slug: str) -> Service | None:
    """The service with this slug, ignoring case."""
    return Service.objects.filter(slug__iexact=slug).first()


def nearest_services(slug: str) -> list[Service]:
    """Services whose slug or name looks like `slug`, nearest first."""
    services = list(Service.objects.all())
    names = {service.slug: service for service in services}
    names.update({service.name.lower(): service for service in services})
    close = difflib.get_close_matches(slug.lower(), names, n=SUGGESTIONS, cutoff=0.5)
    found: list[Service] = []
    for name in close:
        if names[name] not in found:
            found.append(names[name])
    return found
