"""The signals a body gives each service's entries (code fields, typical messages, the
status, an example's shape, a problem type), and how they add up to a confidence."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from errors.bodies import COMMON_CODE_POINTERS
from errors.identify.body import SeenBody
from errors.matchers import BodyKeys, ServiceMatcher

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


class Candidate:
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


# A signal for one of a service's entries: its pk, weight and reason, before _weigh
# weighs it by the envelope and the status seen (and adds it to the entry's Candidate).
_EntrySignal = tuple[int, float, str]


def _weigh(
    matcher: ServiceMatcher,
    fit: float,
    status: int | None,
    signals: list[_EntrySignal],
    found: dict[int, Candidate],
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
            candidate = found[pk] = Candidate()
        candidate.add(weight * scale, reason)


def _fit(matcher: ServiceMatcher, body: SeenBody, service_named: bool) -> float:
    """How much of the service's envelope the body has; all of it when the caller said
    the body is this service's."""
    return 1.0 if service_named else body.envelope_fit(matcher.envelopes)


def match_service(
    matcher: ServiceMatcher,
    codes: BodyKeys,
    body: SeenBody,
    status: int | None,
    found: dict[int, Candidate],
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
        for pointer, weight, value in own_codes(matcher, body):
            _code_field(matcher, codes, body, pointer, value, weight, signals, by_code)
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
    return not any(own_codes(matcher, body)) and entry_page(body) is None


def code_value(value: Any) -> bool:
    """Whether `value` may be a code: text, or a number (not a bool)."""
    return (isinstance(value, str) and value != "") or (
        isinstance(value, int) and not isinstance(value, bool)
    )


def entry_page(body: SeenBody) -> re.Match[str] | None:
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
    for pointer, value in undocumented_codes(matcher, body):
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


def own_codes(matcher: ServiceMatcher, body: SeenBody) -> Iterator[tuple[str, float, str]]:
    """(pointer, weight, code) of each code at the service's own code pointers."""
    for pointer, weight in matcher.code_pointers:
        value = body.at(pointer)
        if code_value(value):
            yield pointer, weight, str(value)


def undocumented_codes(matcher: ServiceMatcher, body: SeenBody) -> Iterator[tuple[str, str]]:
    """(pointer, code) of each text at the common code pointers (errors.bodies) that are
    none of the service's own, but `type`s: there a body more often keeps a category
    (`invalid_request_error`) or an RFC 9457 URL than a code."""
    own = {pointer for pointer, _ in matcher.code_pointers}
    for pointer in COMMON_CODE_POINTERS:
        if pointer not in own and not pointer.endswith("/type"):
            value = body.at(pointer)
            if isinstance(value, str) and value:
                yield pointer, value


PROBLEM_PAGE = re.compile(r"/services/([\w-]{1,100})/errors/([^/]{1,200})/?")


def match_problem_type(
    index: dict[str, ServiceMatcher],
    codes: BodyKeys,
    body: SeenBody,
    status: int | None,
    found: dict[int, Candidate],
    service: str | None,
) -> None:
    """An RFC 9457 `type` that is the URL of an entry's page (whatever the host) names
    that entry, with or without a code field."""
    page = entry_page(body)
    matcher = index.get(page.group(1)) if page else None
    if page is None or matcher is None or (service and matcher.slug != service):
        return
    key = body.code_key(unquote(page.group(2)))
    signals = [
        (candidate.pk, PROBLEM_TYPE, "problem type: the URL of this entry's page")
        for candidate in codes.candidates(matcher.slug, key)[:1]
    ]
    _weigh(matcher, 1.0, status or body.status(matcher.status_pointers), signals, found)


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


def match_similar_messages(
    matcher: ServiceMatcher, body: SeenBody, status: int | None, found: dict[int, Candidate]
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
    # signals of match_service: so it has always been, and a whole fit would change answers.
    _weigh(matcher, body.envelope_fit(matcher.envelopes), status, signals, found)
