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
name, is errors.matchers: a call costs no table scan.
"""

from __future__ import annotations

import difflib
import heapq
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from errors.bodies import COMMON_CODE_POINTERS, body_shape, resolve_pointer, split_http_example
from errors.catalog_version import catalog_version
from errors.codes import code_key
from errors.entry_cache import entries
from errors.lookup import UnknownService
from errors.matchers import (
    BodyKeys,
    ServiceMatcher,
    matchers,
)
from errors.message_values import loose_tokens, message_skeleton
from errors.models import ErrorCode
from errors.querysets import can_see_drafts

# Weights of the signals; a second, independent signal raises the confidence further.
ALIAS_FIELD = 0.9
# A code of the service the caller named, where bodies commonly keep one but the service
# does not (errors.bodies.COMMON_CODE_POINTERS).
UNDOCUMENTED_CODE_FIELD = 0.75
TYPICAL_MESSAGE = 0.85
TYPICAL_WITH_VALUES = 0.8
SIMILAR_MESSAGE = 0.7
STATUS_ONLY_IN_ENVELOPE = 0.6
STATUS_ONLY = 0.4
STATUS_IN_ENVELOPE = 0.35
EXAMPLE_SHAPE = 0.3
OTHER_SPELLING = 0.9  # factor for a code field that names a code in another case or spelling
PROBLEM_TYPE = 0.95
# Candidates below this confidence are guesses (a status alone, a body's shape): an answer
# whose best candidate is below it says "match": "none" and lists them apart as weak.
CONFIDENT = 0.5
STATUS_DISAGREES = 0.6  # factor applied when the entry's status is not the one seen
MAX_SHARED_MESSAGE = 20  # entries one typical message may point at
MAX_SHARED_SHAPE = 20  # entries whose examples one body shape may point at


class SeenBody:
    """A body being identified, with what every service asks of it worked out once.

    A hundred services mostly share a few envelopes: the value at each pointer, the status
    and message found there, the envelope fit, the code key of a value and the skeleton
    of a message are the same for all of them, and computing them per service was most of
    a call's cost.
    """

    def __init__(self, value: Any) -> None:
        self.value = value
        self.shape = body_shape(value)
        self._at: dict[str, Any] = {}
        self._fits: dict[tuple[str, ...], float] = {}
        self._envelope_fits: dict[tuple[tuple[str, ...], ...], float] = {}
        self._statuses: dict[tuple[str, ...], int | None] = {}
        self._messages: dict[tuple[str, ...], str] = {}
        self._keys: dict[str, str] = {}
        self._skeletons: dict[str, str] = {}
        self._loose: dict[str, tuple[str, ...]] = {}

    def at(self, pointer: str) -> Any:
        """The value at `pointer`, or None (also when the body is not an object)."""
        if pointer not in self._at:
            is_object = isinstance(self.value, dict)
            self._at[pointer] = resolve_pointer(self.value, pointer) if is_object else None
        return self._at[pointer]

    def fit(self, pointers: tuple[str, ...]) -> float:
        """The share of `pointers` that the body has a value at."""
        if pointers not in self._fits:
            found = sum(self.at(pointer) is not None for pointer in pointers)
            self._fits[pointers] = found / len(pointers) if pointers else 0.0
        return self._fits[pointers]

    def envelope_fit(self, envelopes: tuple[tuple[str, ...], ...]) -> float:
        """The share of the best fitting envelope's fields that the body has (0 when it
        is not an object)."""
        if envelopes not in self._envelope_fits:
            best = max((self.fit(pointers) for pointers in envelopes), default=0.0)
            self._envelope_fits[envelopes] = best
        return self._envelope_fits[envelopes]

    def status(self, pointers: tuple[str, ...]) -> int | None:
        """The HTTP status at the first of `pointers` holding one, as a number or digits."""
        if pointers not in self._statuses:
            found = None
            for pointer in pointers:
                found = _status(self.at(pointer))
                if found is not None:
                    break
            self._statuses[pointers] = found
        return self._statuses[pointers]

    def message(self, pointers: tuple[str, ...]) -> str:
        """The text at the first of `pointers` holding text; a text body is its own."""
        if isinstance(self.value, str):
            return self.value
        if pointers not in self._messages:
            texts = (self.at(pointer) for pointer in pointers)
            self._messages[pointers] = next((text for text in texts if isinstance(text, str)), "")
        return self._messages[pointers]

    def code_key(self, value: str) -> str:
        """code_key(value), once per value."""
        if value not in self._keys:
            self._keys[value] = code_key(value)
        return self._keys[value]

    def skeleton(self, message: str) -> str:
        """message_skeleton(message), once per message."""
        if message not in self._skeletons:
            self._skeletons[message] = message_skeleton(message)
        return self._skeletons[message]

    def loose(self, message: str) -> tuple[str, ...]:
        """loose_tokens(message), once per message."""
        if message not in self._loose:
            self._loose[message] = loose_tokens(message)
        return self._loose[message]


class PlainText(str):
    """A body known not to be JSON (its Content-Type said so): never parsed."""


def parse_body(body: Any) -> Any:
    """A body as identify reads it: JSON text is parsed, other text stays text."""
    if isinstance(body, PlainText):
        return str(body)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        text = body.strip()
        if text[:1] in ("{", "["):
            try:
                return json.loads(text)
            except (ValueError, RecursionError):  # not JSON, or nested past Python's limit
                return body
    return body


@dataclass
class Identification:
    """One candidate entry, with how sure identify is and why."""

    error: ErrorCode
    confidence: float
    reason: str


class _Candidate:
    """An entry's signals so far, and the confidence they make together."""

    __slots__ = ("_doubt", "_signals")

    def __init__(self) -> None:
        self._signals: list[tuple[float, str]] = []  # (weight, reason), added by add() alone
        self._doubt = 1.0

    def add(self, weight: float, reason: str) -> None:
        self._signals.append((weight, reason))
        # Independent signals combine like probabilities: 0.6 and 0.3 make 0.72.
        self._doubt *= 1.0 - weight

    @property
    def confidence(self) -> float:
        return round(min(1.0 - self._doubt, 0.99), 3)

    @property
    def reason(self) -> str:
        ordered = sorted(self._signals, key=lambda signal: -signal[0])
        return "; ".join(dict.fromkeys(reason for _, reason in ordered))


def _status(value: Any) -> int | None:
    """`value` as an HTTP status, if it is one (a number, or its digits)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    return None


# A signal for one of a service's entries: its pk, weight and reason, before _weigh
# weighs it by the envelope and the status seen (and adds it to the entry's _Candidate).
_EntrySignal = tuple[int, float, str]


def _weigh(
    matcher: ServiceMatcher,
    fit: float,
    status: int | None,
    signals: list[_EntrySignal],
    found: dict[int, _Candidate],
) -> None:
    """Count `signals` for `matcher`'s entries, each weighed by how well the body fits
    the service's envelope (`fit`) and whether the entry's status agrees."""
    scale = 0.8 + 0.2 * fit  # the whole envelope: surely this service
    status_of = matcher.status_of
    for pk, weight, reason in signals:
        expected = status_of.get(pk)
        if status is not None and expected is not None and expected != status:
            weight *= STATUS_DISAGREES  # the entry's HTTP status is not the one seen
        candidate = found.get(pk)
        if candidate is None:
            candidate = found[pk] = _Candidate()
        candidate.add(weight * scale, reason)


def _fit(matcher: ServiceMatcher, body: SeenBody, service_named: bool) -> float:
    """How much of the service's envelope the body has; all of it when the caller said
    the body is this service's."""
    return 1.0 if service_named else body.envelope_fit(matcher.envelopes)


def _match_service(
    matcher: ServiceMatcher,
    codes: BodyKeys,
    body: SeenBody,
    status: int | None,
    found: dict[int, _Candidate],
    service_named: bool = False,
) -> None:
    """The cheap, sure signals: code fields, typical messages, status, example shape.
    `service_named`: the caller said the body is this service's (as sure as a body with
    its whole envelope: a status-only service's entry for the status is then a match).

    Most services of a large fleet have nothing to say of a body: each is asked with a few
    lookups, and only those with a signal weigh it against their envelope."""
    status = status or body.status(matcher.status_pointers)
    signals: list[_EntrySignal] = []
    by_code: list[int] = []  # the entries a code field names
    if isinstance(body.value, dict):
        for pointer, weight in matcher.code_pointers:
            value = body.at(pointer)
            if isinstance(value, str | int) and not isinstance(value, bool):
                _code_field(matcher, codes, body, pointer, str(value), weight, signals, by_code)
        if service_named and _holds_no_code_of_its_own(matcher, body):
            _undocumented_code_field(matcher, codes, body, status, signals, by_code)
    message = body.message(matcher.message_pointers)
    if message:
        _match_message(matcher, body.skeleton(message), body.loose(message), signals, by_code)
    status_entry = matcher.by_status.get(status) if status is not None else None
    if status_entry is not None and status_entry not in codes.hidden and not by_code:
        in_envelope = _fit(matcher, body, service_named) > 0
        if matcher.status_only:
            weight = STATUS_ONLY_IN_ENVELOPE if in_envelope else STATUS_ONLY
            reason = "status-only service: its entry for this HTTP status"
            signals.append((status_entry, weight, reason))
        elif in_envelope:
            reason = "the body has this service's envelope; status entry"
            signals.append((status_entry, STATUS_IN_ENVELOPE, reason))
    shape = body.shape
    same_shape = matcher.by_shape.get(shape, ()) if shape else ()
    # Like a shared message, a shape that many entries' examples share tells none of them
    # apart; weighing each would cost thousands of signals a call in a large catalog.
    if len(same_shape) <= MAX_SHARED_SHAPE:
        for pk in same_shape:
            if status is None or matcher.status_of.get(pk) in (None, status):
                signals.append((pk, EXAMPLE_SHAPE, "same shape as a documented example"))
    if signals:
        _weigh(matcher, _fit(matcher, body, service_named), status, signals, found)


def _code_field(
    matcher: ServiceMatcher,
    codes: BodyKeys,
    body: SeenBody,
    pointer: str,
    value: str,
    weight: float,
    signals: list[_EntrySignal],
    by_code: list[int],
    note: str = "",
) -> None:
    """Signal the entries of `matcher`'s service that the code `value` at `pointer` names
    (a code of its own spelt so, or else the codes listing it as an alias), and note them
    in `by_code`; `note` ends each reason."""
    named = codes.candidates(matcher.slug, body.code_key(value))
    own = [candidate for candidate in named if not candidate.via_alias]
    for candidate in own or named:  # an alias counts when no code has the name
        by_code.append(candidate.pk)
        if not candidate.via_alias and candidate.code != value:
            # NotFound where another service sharing the envelope has NOT_FOUND as spelt:
            # the exact spelling comes first.
            reason = f"code field {pointer} (spelt {value!r}, documented {candidate.code!r})"
            signals.append((candidate.pk, weight * OTHER_SPELLING, reason + note))
        elif candidate.via_alias:
            reason = f"code field {pointer} holds the alias {value!r}"
            signals.append((candidate.pk, min(ALIAS_FIELD, weight), reason + note))
        else:
            signals.append((candidate.pk, weight, f"code field {pointer}{note}"))


def _holds_no_code_of_its_own(matcher: ServiceMatcher, body: SeenBody) -> bool:
    """Whether the body has no code (text or a number) at the service's code pointers (an
    object there is an envelope the gateway nested), and no `type` that is an entry page's
    URL (the problem type names its entry, or another service's)."""
    if any(_code_value(body.at(pointer)) for pointer, _ in matcher.code_pointers):
        return False
    return _entry_page(body) is None


def _code_value(value: Any) -> bool:
    """Whether `value` may be a code: text, or a number (not a bool)."""
    return (isinstance(value, str) and value != "") or (
        isinstance(value, int) and not isinstance(value, bool)
    )


def _entry_page(body: SeenBody) -> re.Match[str] | None:
    """The entry page (service slug, code) that an RFC 9457 `type` is the URL of."""
    kind = body.at("/type")
    if not isinstance(kind, str) or len(kind) > 2000:
        return None
    return PROBLEM_PAGE.search(urlsplit(kind).path)


def _undocumented_code_field(
    matcher: ServiceMatcher,
    codes: BodyKeys,
    body: SeenBody,
    status: int | None,
    signals: list[_EntrySignal],
    by_code: list[int],
) -> None:
    """The caller said whose body it is, but nothing is where the service keeps its code
    (a gateway's `{"code": ...}` in front of a service that nests it): a code of that
    service at the first pointer where bodies commonly keep one that names any, as drift
    reads it. Text only: a number there is a status more often than a code."""
    for pointer in _undocumented_code_pointers(matcher):
        value = body.at(pointer)
        if not isinstance(value, str) or not value:
            continue
        named: list[int] = []
        note = ", not where the service keeps its code"
        _code_field(
            matcher, codes, body, pointer, value, UNDOCUMENTED_CODE_FIELD, signals, named, note
        )
        # One whose status is not the one seen is a weak guess: it leaves the status its
        # entry (as a code at the service's own pointer does not), and the next pointer
        # is read.
        status_of = matcher.status_of
        agreeing = [pk for pk in named if status is None or status_of.get(pk) in (None, status)]
        by_code.extend(agreeing)
        if agreeing:
            return


def _undocumented_code_pointers(matcher: ServiceMatcher) -> tuple[str, ...]:
    """The common code pointers (errors.bodies) that are none of the service's own, but
    `type`s: there a body more often keeps a category (`invalid_request_error`) or an
    RFC 9457 URL than a code."""
    own = {pointer for pointer, _ in matcher.code_pointers}
    return tuple(
        pointer
        for pointer in COMMON_CODE_POINTERS
        if pointer not in own and not pointer.endswith("/type")
    )


PROBLEM_PAGE = re.compile(r"/services/([\w-]{1,100})/errors/([^/]{1,200})/?")


def _match_problem_type(
    index: dict[str, ServiceMatcher],
    codes: BodyKeys,
    body: SeenBody,
    status: int | None,
    found: dict[int, _Candidate],
    service: str | None,
) -> None:
    """An RFC 9457 `type` that is the URL of an entry's page (whatever the host) names
    that entry, with or without a code field."""
    page = _entry_page(body)
    matcher = index.get(page.group(1)) if page else None
    if page is None or matcher is None or (service and matcher.slug != service):
        return
    key = body.code_key(unquote(page.group(2)))
    signals = [
        (candidate.pk, PROBLEM_TYPE, "problem type: the URL of this entry's page")
        for candidate in codes.candidates(matcher.slug, key)[:1]
    ]
    _weigh(matcher, 1.0, status or body.status(matcher.status_pointers), signals, found)


def confident(found: list[Identification]) -> tuple[list[Identification], list[Identification]]:
    """The candidates that reach CONFIDENT, and the weak ones below it."""
    return (
        [item for item in found if item.confidence >= CONFIDENT],
        [item for item in found if item.confidence < CONFIDENT],
    )


def _match_message(
    matcher: ServiceMatcher,
    skeleton: str,
    loose: tuple[str, ...],
    signals: list[_EntrySignal],
    named: list[int],
) -> None:
    """Signal the entries whose typical message the body's is (`named`: those of the
    service a code field already named)."""
    exact = matcher.by_skeleton.get(skeleton) if skeleton else None
    if exact:
        signals.extend((pk, TYPICAL_MESSAGE, "typical message") for pk in _told_apart(exact, named))
        return
    if not matcher.by_skeleton:
        return
    pks = [pk for typical in matcher.loose_skeletons(loose) for pk in matcher.by_skeleton[typical]]
    reason = "typical message with other values"
    signals.extend((pk, TYPICAL_WITH_VALUES, reason) for pk in _told_apart(pks, named))


def _told_apart(pks: list[int], named: list[int]) -> list[int]:
    """The entries a typical message points at. One that dozens of a service's entries
    share (every `... must be between ...` of its validation errors) tells none of them
    apart, as a shared example shape does not: it only adds to the entries a code field
    named. Signalling each of them cost a call thousands of signals in a large fleet."""
    if len(pks) <= MAX_SHARED_MESSAGE:
        return pks
    return [pk for pk in named if pk in pks]


def _match_similar_messages(
    matcher: ServiceMatcher, body: SeenBody, status: int | None, found: dict[int, _Candidate]
) -> None:
    """Messages close to, but not the same as, a typical message: the costly comparison."""
    message = body.message(matcher.message_pointers)
    skeleton = body.skeleton(message) if message else ""
    if not skeleton or not matcher.by_skeleton or skeleton in matcher.by_skeleton:
        return
    signals: list[_EntrySignal] = []
    for typical in matcher.similar_skeletons(skeleton):
        ratio = difflib.SequenceMatcher(None, skeleton, typical).ratio()
        reason = f"similar to a typical message ({ratio:.0%})"
        signals.extend((pk, SIMILAR_MESSAGE * ratio, reason) for pk in matcher.by_skeleton[typical])
    status = status or body.status(matcher.status_pointers)
    # Weighed by the envelope's fit even when the caller named the service, unlike the
    # signals of _match_service: so it has always been, and a whole fit would change answers.
    _weigh(matcher, body.envelope_fit(matcher.envelopes), status, signals, found)


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
    page = _entry_page(body)
    if page:
        yield body.code_key(unquote(page.group(2)))
    if isinstance(body.value, dict):
        for matcher in chosen:
            for pointer, _ in matcher.code_pointers:
                value = body.at(pointer)
                if isinstance(value, str | int) and not isinstance(value, bool):
                    yield body.code_key(str(value))
        if named:  # a service named: its code may be where bodies commonly keep one
            for pointer in _undocumented_code_pointers(chosen[0]):
                value = body.at(pointer)
                if isinstance(value, str) and value:
                    yield body.code_key(value)


def _rank(
    body: SeenBody,
    status: int | None,
    chosen: list[ServiceMatcher],
    service: str | None,
    index: dict[str, ServiceMatcher],
    codes: BodyKeys,
    limit: int,
) -> list[tuple[int, _Candidate]]:
    """The `limit` candidates the caller may see with the most confidence, best first (the
    first found first among equals)."""
    found: dict[int, _Candidate] = {}
    _match_problem_type(index, codes, body, status, found, service)
    for matcher in chosen:
        _match_service(matcher, codes, body, status, found, service_named=bool(service))
    # Comparing the message with every service's typical messages is most of what identify
    # costs at scale; it is only worth it when no code field or typical message has
    # already named an entry with more confidence than a similar message could.
    visible = (candidate for pk, candidate in found.items() if pk not in codes.hidden)
    if not any(candidate.confidence >= SIMILAR_MESSAGE for candidate in visible):
        for matcher in chosen:
            _match_similar_messages(matcher, body, status, found)
    # A message that many entries of a fleet share signals each of them: only the best
    # few are kept, not all of them sorted.
    visible_items = ((pk, each) for pk, each in found.items() if pk not in codes.hidden)
    return heapq.nlargest(limit, visible_items, key=lambda item: item[1].confidence)
