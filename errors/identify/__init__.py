"""Raw error response -> the catalog entries it most likely is, best first.

A log pipeline hands over what it saw (an HTTP status, a body, maybe the service) and
gets back entries, each with a confidence from 0 to 1 and the reason it matched:

- *code field*: the body carries a code or alias of a service at its `code_pointer`;
- *typical message*: the text at the service's `message_pointer` is one of an entry's
  typical messages, with its concrete values (numbers, quoted values, ids) changed;
- *status-only service*: the service tells errors apart by HTTP status alone, and has an
  entry for this status;
- *documented example*: the body has the shape (the same keys) of an entry's example.

What identify keeps of each service, and how it finds the codes a body's code fields
name, is errors.matchers: a call costs no table scan. How a body is read is
errors.identify.body; the signals it gives each service's entries, and their weights,
errors.identify.signals; this module answers calls: it reads the version and the keys,
weighs every service chosen, ranks, and reads the entries.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from errors.bodies import split_http_example
from errors.catalog_version import catalog_version
from errors.entry_cache import entries
from errors.identify.body import PlainText, SeenBody, parse_body
from errors.identify.signals import (
    CONFIDENT,
    MAX_SHARED_MESSAGE,
    SIMILAR_MESSAGE,
    UNDOCUMENTED_CODE_FIELD,
    Candidate,
    entry_page,
    match_problem_type,
    match_service,
    match_similar_messages,
    own_codes,
    undocumented_codes,
)
from errors.lookup import UnknownService
from errors.matchers import BodyKeys, ServiceMatcher, matchers
from errors.message_values import message_skeleton
from errors.models import ErrorCode
from errors.querysets import can_see_drafts

# What the faces (the API, the MCP tools, drift, lint) and the tests use of identify.
__all__ = [
    "CONFIDENT",
    "MAX_SHARED_MESSAGE",
    "UNDOCUMENTED_CODE_FIELD",
    "Identification",
    "PlainText",
    "Seen",
    "confident",
    "identify",
    "identify_many",
    "matchers",
    "message_skeleton",
    "parse_body",
]


@dataclass
class Identification:
    """One candidate entry, with how sure identify is and why."""

    error: ErrorCode
    confidence: float
    reason: str


def confident(found: list[Identification]) -> tuple[list[Identification], list[Identification]]:
    """The candidates that reach CONFIDENT, and the weak ones below it."""
    return (
        [item for item in found if item.confidence >= CONFIDENT],
        [item for item in found if item.confidence < CONFIDENT],
    )


@dataclass(frozen=True)
class Seen:
    """One response a tool saw: its body, and the status and service if known."""

    body: Any
    status: int | None = None
    service: str | None = None


def identify(
    body: Any,
    *,
    status: int | None = None,
    service: str | None = None,
    user: Any = None,
    limit: int = 10,
) -> list[Identification]:
    """The entries a raw error response most likely is, best first.

    `body` is a parsed JSON value or text (JSON text is parsed; an `HTTP/1.1 ...` dump is
    split into status and body). `service` restricts the search to one service's slug.
    """
    (answer,) = identify_many([Seen(body, status, service)], user=user, limit=limit)
    if isinstance(answer, UnknownService):
        raise answer
    return answer


def identify_many(
    responses: list[Seen], *, user: Any = None, limit: int = 10
) -> list[list[Identification] | UnknownService]:
    """identify() for each response, in order, reading the catalog version once and the
    matched entries not held yet (errors.entry_cache) in one query (a log pipeline's
    batch). A response naming a service that does not exist is answered with the
    UnknownService that identify() raises, alone: the others are answered all the same."""
    version = catalog_version()
    index = matchers(version)
    hidden = set() if can_see_drafts(user) else _drafts(index)
    codes = BodyKeys(matchers=index, hidden=hidden)
    answers: list[list[Identification] | UnknownService] = [[] for _ in responses]
    readable: dict[int, tuple[SeenBody, int | None, str | None, list[ServiceMatcher]]] = {}
    for position, seen in enumerate(responses):
        try:
            readable[position] = _seen_body(seen, index)
        except UnknownService as unknown:
            answers[position] = unknown
    codes.read(
        *(
            key
            for body, _, service, chosen in readable.values()
            for key in _code_keys(body, chosen, named=service is not None)
        )
    )
    # Only the best few are read, once the drafts the caller may not see are left out
    # (errors.entry_cache keeps only what the caller may see all the same).
    bests = {
        position: _rank(body, status, chosen, service, index, codes, limit)
        for position, (body, status, service, chosen) in readable.items()
    }
    wanted = {pk for best in bests.values() for pk, _ in best}
    errors = entries(version, wanted, user) if wanted else {}
    for position, best in bests.items():
        answers[position] = sorted(
            (
                Identification(errors[pk], candidate.confidence, candidate.reason)
                for pk, candidate in best
                if pk in errors
            ),
            key=lambda item: (-item.confidence, item.error.service.slug, item.error.order),
        )
    return answers


def _drafts(index: dict[str, ServiceMatcher]) -> set[int]:
    """The codes only staff see, of every service."""
    return set().union(*(matcher.drafts for matcher in index.values() if matcher.drafts))


def _seen_body(
    seen: Seen, index: dict[str, ServiceMatcher]
) -> tuple[SeenBody, int | None, str | None, list[ServiceMatcher]]:
    """The body parsed, its status (from an HTTP dump if need be), the service named (its
    slug: slugs are lowercase, so `AISafe` names `aisafe`, as search's filter reads it) and
    the services to try."""
    body, status = seen.body, seen.status
    if isinstance(body, str) and re.match(r"\s*HTTP/[\d.]+\s+\d{3}", body):
        seen_status, body = split_http_example(body)
        status = status or seen_status
    service = seen.service.lower() if seen.service else None
    if service:
        if service not in index:
            raise UnknownService(seen.service)
        chosen = [index[service]]
    else:
        chosen = list(index.values())
    return SeenBody(parse_body(body)), status, service, chosen


def _code_keys(body: SeenBody, chosen: list[ServiceMatcher], named: bool) -> Iterator[str]:
    """The code keys the body holds at the services' code pointers (and, when the caller
    `named` the service, where bodies commonly keep one), and in an RFC 9457 `type` that
    is an entry page's URL."""
    page = entry_page(body)
    if page:
        yield body.code_key(unquote(page.group(2)))
    if isinstance(body.value, dict):
        for matcher in chosen:
            for _, _, value in own_codes(matcher, body):
                yield body.code_key(value)
        if named:  # a service named: its code may be where bodies commonly keep one
            for _, value in undocumented_codes(chosen[0], body):
                yield body.code_key(value)


def _rank(
    body: SeenBody,
    status: int | None,
    chosen: list[ServiceMatcher],
    service: str | None,
    index: dict[str, ServiceMatcher],
    codes: BodyKeys,
    limit: int,
) -> list[tuple[int, Candidate]]:
    """The `limit` candidates the caller may see with the most confidence, best first (the
    first found first among equals)."""
    found: dict[int, Candidate] = {}
    match_problem_type(index, codes, body, status, found, service)
    for matcher in chosen:
        match_service(matcher, codes, body, status, found, service_named=bool(service))
    # Comparing the message with every service's typical messages is most of what identify
    # costs at scale; it is only worth it when no code field or typical message has
    # already named an entry with more confidence than a similar message could.
    visible = (candidate for pk, candidate in found.items() if pk not in codes.hidden)
    if not any(candidate.confidence >= SIMILAR_MESSAGE for candidate in visible):
        for matcher in chosen:
            match_similar_messages(matcher, body, status, found)
    # A message that many entries of a fleet share signals each of them: only the best
    # few are kept, not all of them sorted.
    visible_items = ((pk, each) for pk, each in found.items() if pk not in codes.hidden)
    return heapq.nlargest(limit, visible_items, key=lambda item: item[1].confidence)
