"""Raw error response -> the catalog entries it most likely is, best first.

A log pipeline hands over what it saw (an HTTP status, a body, maybe the service) and
gets back entries, each with a confidence from 0 to 1 and the reason it matched:

- *code field*: the body carries a code or alias of a service at its `code_pointer`;
- *typical message*: the text at the service's `message_pointer` is one of an entry's
  typical messages, with its concrete values (numbers, quoted values, ids) changed;
- *status-only service*: the service tells errors apart by HTTP status alone, and has an
  entry for this status;
- *documented example*: the body has the shape (the same keys) of an entry's example.

Each service's matcher is built once per version of that service (MatcherCache and
errors.service_version: a write rebuilds the services it touched, not the catalog) and
kept in memory, indexed by message skeleton, example shape and alias; the codes a body's
code fields name are looked up in the database (BodyKeys: one query on the code-key
index for a whole batch), so a call costs no table scan.
"""

from __future__ import annotations

import difflib
import gc
import json
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any
from urllib.parse import unquote, urlsplit

from errors.bodies import body_shape, example_shape, resolve_pointer, split_http_example
from errors.catalog_version import catalog_version
from errors.codes import code_key
from errors.lookup import Candidate, CodeIndex, UnknownService
from errors.message_values import forms_of, loose_match, loose_tokens, message_skeleton
from errors.models import ErrorCode, Example, Service
from errors.querysets import can_see_drafts
from errors.service_version import service_versions
from errors.versioned_cache import register

# Weights of the signals; a second, independent signal raises the confidence further.
CODE_FIELD = 0.95
ALIAS_FIELD = 0.9
DOCUMENTED_CODE_FIELD = 0.9
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
SIMILARITY_CUTOFF = 0.8
MAX_SHARED_MESSAGE = 20  # entries one typical message may point at
MAX_SHARED_SHAPE = 20  # entries whose examples one body shape may point at
RAREST_WORDS = 3  # similar messages are looked for among those sharing these words
MAX_SIMILARITY_CANDIDATES = 500


def _words(skeleton: str) -> set[str]:
    return {word for word in re.findall(r"[a-z][a-z_]+", skeleton) if word not in PLACEHOLDERS}


PLACEHOLDERS = {"id", "value", "n"}


@dataclass
class ServiceMatcher:
    """Everything identify needs to know about one service, precomputed."""

    slug: str
    code_pointers: tuple[tuple[str, float], ...]
    # Each envelope's pointers: the service's own first, then its alternatives (issue 15).
    message_pointers: tuple[str, ...]
    status_pointers: tuple[str, ...]
    envelopes: tuple[tuple[str, ...], ...]
    status_only: bool
    by_status: dict[int, int] = field(default_factory=dict)
    by_skeleton: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_shape: dict[frozenset[str], set[int]] = field(default_factory=lambda: defaultdict(set))
    by_word: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    loose_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    status_of: dict[int, int | None] = field(default_factory=dict)
    # The codes holding each alias key, in catalog order: few codes have aliases, and
    # keeping them here spares each call a trigram search of every code's keys.
    alias_holders: dict[str, list[Candidate]] = field(default_factory=dict)
    drafts: set[int] = field(default_factory=set)  # codes only staff see

    def add_message(self, pk: int, skeleton: str, loose: tuple[str, ...]) -> None:
        """Index a typical message (its forms) by its skeleton, and the skeleton by its
        words."""
        self.by_skeleton[skeleton].append(pk)
        self.loose_of[skeleton] = loose
        for word in _words(skeleton) | {word for word in loose if word != "*"}:
            self.by_word[word].add(skeleton)

    def loose_skeletons(self, loose: tuple[str, ...]) -> list[str]:
        """Typical messages that are `loose` but for values, looked for among those
        sharing its rarest fixed words."""
        pools = sorted(
            (self.by_word[word] for word in set(loose) if word != "*" and word in self.by_word),
            key=len,
        )
        found = []
        for pool in pools[:1]:  # every match holds all fixed words: the rarest pool will do
            for skeleton in list(pool)[:MAX_SIMILARITY_CANDIDATES]:
                if loose_match(loose, self.loose_of.get(skeleton, ())):
                    found.append(skeleton)
        return found

    def similar_skeletons(self, skeleton: str) -> list[str]:
        """Typical messages close to `skeleton`, compared only with those sharing its
        rarest words, so a miss costs the same with 100 messages as with 100,000."""
        pools = sorted(
            (self.by_word[word] for word in _words(skeleton) if word in self.by_word), key=len
        )
        candidates: set[str] = set()
        for pool in pools[:RAREST_WORDS]:
            candidates.update(pool)
            if len(candidates) >= MAX_SIMILARITY_CANDIDATES:
                break
        return difflib.get_close_matches(
            skeleton, list(candidates)[:MAX_SIMILARITY_CANDIDATES], n=3, cutoff=SIMILARITY_CUTOFF
        )

    def envelope_fit(self, body: SeenBody) -> float:
        """The share of the envelope's fields that the body has (0 when not an object)."""
        return max((body.fit(pointers) for pointers in self.envelopes), default=0.0)


class SeenBody:
    """A body being identified, with what every service asks of it worked out once.

    A hundred services mostly share a few envelopes: the value at each pointer, the
    envelope fit, the code key of a value and the skeleton of a message are the same
    for all of them, and computing them per service was most of a call's cost.
    """

    def __init__(self, value: Any) -> None:
        self.value = value
        self.shape = body_shape(value)
        self._at: dict[str, Any] = {}
        self._fits: dict[tuple[str, ...], float] = {}
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


def _documented_code_pointers(service: Service) -> list[str]:
    """Pointers of envelope fields named `code` that `code_pointer` does not cover.

    A status-only service may still send a code in a few exceptions (AISafe's
    `{"code": "EMAIL_NOT_VERIFIED"}`); its envelope documents that field.
    """
    pointers = []
    for item in service.envelope_fields or []:
        name = str(item.get("name", "")) if isinstance(item, dict) else ""
        if re.fullmatch(r"[\w.]*code", name) and not name.endswith("status_code"):
            pointer = "/" + name.replace(".", "/")
            if pointer != service.code_pointer:
                pointers.append(pointer)
    return pointers


def _matcher_for(service: Service) -> ServiceMatcher:
    own = {
        "code_pointer": service.code_pointer,
        "message_pointer": service.message_pointer,
        "status_pointer": service.status_pointer,
    }
    envelopes = [own, *(item for item in service.envelope_alternatives or [] if item)]
    # Each code pointer once, at its best weight: a declared envelope's (CODE_FIELD) over
    # a `code` field only the envelope's field table documents.
    weights: dict[str, float] = {}
    for e in envelopes:
        if e.get("code_pointer"):
            weights[str(e["code_pointer"])] = CODE_FIELD
    for pointer in _documented_code_pointers(service):
        weights.setdefault(pointer, DOCUMENTED_CODE_FIELD)

    def pointers(name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(str(e[name]) for e in envelopes if e.get(name)))

    return ServiceMatcher(
        slug=service.slug,
        code_pointers=tuple(weights.items()),
        message_pointers=pointers("message_pointer"),
        status_pointers=pointers("status_pointer"),
        envelopes=tuple(
            pointers_
            for e in envelopes
            if (pointers_ := tuple(str(e[name]) for name in own if e.get(name)))
        ),
        status_only=service.is_status_only,
    )


# Services read with a filter on their ids; more changed than this and the whole catalog
# is read (one pass, rather than an IN list the size of the catalog).
SERVICES_PER_FILTER = 500


def build_matchers() -> dict[str, ServiceMatcher]:
    """Every service's matcher, read from the catalog: `{slug: matcher}`."""
    return {matcher.slug: matcher for matcher in _build(None).values()}


def _build(only: Collection[int] | None) -> dict[int, ServiceMatcher]:
    """The matchers of the services `only` (every service when None), by service id, in
    four queries; the codes that code fields name are looked up as bodies name them
    (BodyKeys)."""
    services = Service.objects.all()
    codes = ErrorCode.objects.all()
    examples = Example.objects.filter(language__in=["json", "http"])
    if only is not None and len(only) <= SERVICES_PER_FILTER:
        services = services.filter(pk__in=only)
        codes = codes.filter(service_id__in=only)
        examples = examples.filter(error__service_id__in=only)
    matchers = {
        service.pk: _matcher_for(service)
        for service in services
        if only is None or service.pk in only
    }
    # In no order: the model's ordering would join services and sort every row.
    rows = codes.order_by().values_list(
        "pk", "service_id", "code", "order", "http_status", "published", "aliases",
        "messages", "message_forms",
    )  # fmt: skip
    aliased: dict[Candidate, tuple[int, int]] = {}
    for pk, service_id, code, order, status, published, aliases, messages, forms in rows.iterator(
        chunk_size=2000
    ):
        matcher = matchers.get(service_id)
        if matcher is None:
            continue
        matcher.status_of[pk] = status
        if not published:
            matcher.drafts.add(pk)
        if status is not None and code == str(status):
            matcher.by_status[status] = pk
        for alias in aliases or []:
            holders = matcher.alias_holders.setdefault(code_key(str(alias)), [])
            if pk not in {holder.pk for holder in holders}:
                candidate = Candidate(pk, True, code)
                holders.append(candidate)
                aliased[candidate] = (order, pk)
        for skeleton, loose in forms_of(forms, messages or []):  # stored when saved
            matcher.add_message(pk, skeleton, loose)
    for matcher in matchers.values():
        for holders in matcher.alias_holders.values():
            holders.sort(key=aliased.__getitem__)  # in catalog order
    examples = examples.order_by()
    shaped = examples.filter(shape__isnull=False).values_list(
        "error_id", "error__service_id", "shape"
    )
    unshaped = (
        (error_id, service_id, example_shape(language, body))
        for error_id, service_id, language, body in examples.filter(shape__isnull=True)
        .values_list("error_id", "error__service_id", "language", "body")
        .iterator(chunk_size=2000)
    )
    for error_id, service_id, shape in chain(shaped.iterator(chunk_size=2000), unshaped):
        if shape and service_id in matchers:
            matchers[service_id].by_shape[frozenset(shape)].add(error_id)
    return matchers


# Codes read by one rebuild from which the new matchers are frozen (gc.freeze).
FREEZE_FROM = 10_000


class MatcherCache:
    """Each service's matcher, kept per process and rebuilt only when its service changed.

    The catalog version is read on every call (errors.catalog_version); when it moved,
    the services' own versions (errors.service_version) say which services a write
    touched, and only those are read again: an edit to one code of a million rebuilds its
    service's thousand, not the catalog. One thread builds while the others wait.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # One tuple, replaced whole: a reader never pairs one version with another's value.
        self._held: tuple[str, dict[str, ServiceMatcher]] | None = None
        self._epoch = ""
        self._built: dict[int, tuple[int, ServiceMatcher]] = {}
        register(self)

    def get(self, version: str) -> dict[str, ServiceMatcher]:
        """The matchers under the catalog `version`, by slug."""
        held = self._held
        if held is not None and held[0] == version:
            return held[1]
        with self._lock:
            held = self._held
            if held is None or held[0] != version:
                held = (version, self._refresh(version))
                self._held = held
            return held[1]

    def _refresh(self, version: str) -> dict[str, ServiceMatcher]:
        epoch = version.partition("-")[0]
        if epoch != self._epoch:  # another database: nothing built holds
            self._epoch, self._built = epoch, {}
        # Read before the rows, so a matcher is never older than the version kept with it.
        versions = service_versions()
        stale = {
            pk
            for pk, service_version in versions.items()
            if service_version is None or self._built.get(pk, (None,))[0] != service_version
        }
        # Most services changed (a first build, a large import): one pass over the tables
        # reads them faster than the service-id index would.
        fresh = _build(None if len(stale) * 2 > len(versions) else stale) if stale else {}
        if sum(len(matcher.status_of) for matcher in fresh.values()) >= FREEZE_FROM:
            # Matchers live until their service changes, and a full collection walks every
            # object there is (130 ms at 100,000 codes, every few hundred calls): collected
            # once now, frozen, they are left out of every later collection.
            gc.collect()
            gc.freeze()
        built: dict[int, tuple[int, ServiceMatcher]] = {}
        for pk, service_version in versions.items():
            if pk in fresh:
                built[pk] = (service_version if service_version is not None else -1, fresh[pk])
            elif pk not in stale:
                built[pk] = self._built[pk]
        self._built = built
        return {matcher.slug: matcher for _, matcher in built.values()}

    def clear(self) -> None:
        """Forget every matcher (tests)."""
        with self._lock:
            self._held, self._epoch, self._built = None, "", {}


_matchers = MatcherCache()


def matchers(version: str | None = None) -> dict[str, ServiceMatcher]:
    """The matchers of the catalog `version` (read when not given), built on first use."""
    return _matchers.get(version or catalog_version())


# Code keys read by one query (an IN list; SQLite takes up to 32,766 parameters).
KEYS_PER_QUERY = 500


@dataclass
class BodyKeys(CodeIndex):
    """The codes that the keys of a batch's bodies name, in each service: those holding a
    key as their own code, read from the code-key index in one query for the whole batch
    (`read`), then those listing it as an alias, from the service's matcher."""

    matchers: dict[str, ServiceMatcher] = field(default_factory=dict)
    # The drafts the caller may not see: for them a draft holding a name does not exist,
    # and so does not hide the published code listing it as an alias.
    hidden: set[int] = field(default_factory=set)
    asked: set[str] = field(default_factory=set)

    def read(self, *keys: str) -> None:
        """Read the codes holding those `keys` not asked for yet as their own."""
        new = sorted({key for key in keys if key} - self.asked)
        self.asked.update(new)
        for start in range(0, len(new), KEYS_PER_QUERY):
            rows = (
                ErrorCode.objects.filter(code_key__in=new[start : start + KEYS_PER_QUERY])
                .order_by("order", "pk")
                .values_list("pk", "service__slug", "code", "code_key")
            )
            for pk, slug, code, key in rows:
                held = self.by_service.setdefault(slug, {}).setdefault(key, [])
                held.append(Candidate(pk, False, code))

    def candidates(self, service: str, key: str) -> list[Candidate]:
        """The codes of `service` that `key` may name: its own holders, then its alias
        holders (errors.lookup's rule)."""
        self.read(key)
        own = super().candidates(service, key)
        matcher = self.matchers.get(service)
        aliases = matcher.alias_holders.get(key, []) if matcher else []
        held = {candidate.pk for candidate in own}
        found = own + [candidate for candidate in aliases if candidate.pk not in held]
        return [candidate for candidate in found if candidate.pk not in self.hidden]


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


@dataclass
class _Candidate:
    signals: list[tuple[float, str]] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        # Independent signals combine like probabilities: 0.6 and 0.3 make 0.72.
        doubt = 1.0
        for weight, _ in self.signals:
            doubt *= 1.0 - weight
        return round(min(1.0 - doubt, 0.99), 3)

    @property
    def reason(self) -> str:
        ordered = sorted(self.signals, key=lambda signal: -signal[0])
        return "; ".join(dict.fromkeys(reason for _, reason in ordered))


def _agree(weight: float, matcher: ServiceMatcher, pk: int, status: int | None) -> float:
    """Lower a signal's weight when the entry's HTTP status is not the one seen."""
    expected = matcher.status_of.get(pk)
    if status is not None and expected is not None and expected != status:
        return weight * STATUS_DISAGREES
    return weight


def _body_status(matcher: ServiceMatcher, body: SeenBody) -> int | None:
    for pointer in matcher.status_pointers:
        value = body.at(pointer)
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if isinstance(value, int) and 100 <= value <= 599:
            return value
    return None


def _adder(
    matcher: ServiceMatcher, fit: float, status: int | None, found: dict[int, _Candidate]
) -> Callable[[int, float, str], None]:
    """Record a signal for one of `matcher`'s entries, weighed by how well the body fits
    the service's envelope (`fit`) and whether the entry's status agrees."""
    scale = 0.8 + 0.2 * fit  # the whole envelope: surely this service

    def add(pk: int, weight: float, reason: str) -> None:
        found.setdefault(pk, _Candidate()).signals.append(
            (_agree(weight, matcher, pk, status) * scale, reason)
        )

    return add


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
    its whole envelope: a status-only service's entry for the status is then a match)."""
    status = status or _body_status(matcher, body)
    fit = 1.0 if service_named else matcher.envelope_fit(body)
    add = _adder(matcher, fit, status, found)
    matched_code = False
    by_code: list[int] = []  # the entries a code field names
    if isinstance(body.value, dict):
        for pointer, weight in matcher.code_pointers:
            value = body.at(pointer)
            if isinstance(value, str | int) and not isinstance(value, bool):
                named = codes.candidates(matcher.slug, body.code_key(str(value)))
                own = [candidate for candidate in named if not candidate.via_alias]
                for candidate in own or named:  # an alias counts when no code has the name
                    matched_code = True
                    by_code.append(candidate.pk)
                    if not candidate.via_alias and candidate.code != str(value):
                        # NotFound where another service sharing the envelope has
                        # NOT_FOUND as spelt: the exact spelling comes first.
                        add(
                            candidate.pk,
                            weight * OTHER_SPELLING,
                            f"code field {pointer} (spelt {value!r}, documented "
                            f"{candidate.code!r})",
                        )
                    elif candidate.via_alias:
                        add(
                            candidate.pk,
                            ALIAS_FIELD,
                            f"code field {pointer} holds the alias {value!r}",
                        )
                    else:
                        add(candidate.pk, weight, f"code field {pointer}")
    message = _message_of(matcher, body)
    if message:
        _match_message(matcher, body.skeleton(message), body.loose(message), add, by_code)
    status_entry = matcher.by_status.get(status) if status is not None else None
    if status_entry is not None and status_entry not in codes.hidden and not matched_code:
        pk = status_entry
        if matcher.status_only:
            weight = STATUS_ONLY_IN_ENVELOPE if fit else STATUS_ONLY
            add(pk, weight, "status-only service: its entry for this HTTP status")
        elif fit:
            add(pk, STATUS_IN_ENVELOPE, "the body has this service's envelope; status entry")
    shape = body.shape
    same_shape = matcher.by_shape.get(shape, ()) if shape else ()
    # Like a shared message, a shape that many entries' examples share tells none of them
    # apart; weighing each would cost thousands of signals a call in a large catalog.
    if len(same_shape) > MAX_SHARED_SHAPE:
        return
    for pk in same_shape:
        if status is None or matcher.status_of.get(pk) in (None, status):
            add(pk, EXAMPLE_SHAPE, "same shape as a documented example")


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
    kind = body.at("/type")
    if not isinstance(kind, str) or len(kind) > 2000:
        return
    page = PROBLEM_PAGE.search(urlsplit(kind).path)
    matcher = index.get(page.group(1)) if page else None
    if page is None or matcher is None or (service and matcher.slug != service):
        return
    add = _adder(matcher, 1.0, status or _body_status(matcher, body), found)
    key = body.code_key(unquote(page.group(2)))
    for candidate in codes.candidates(matcher.slug, key)[:1]:
        add(candidate.pk, PROBLEM_TYPE, "problem type: the URL of this entry's page")


def confident(found: list[Identification]) -> tuple[list[Identification], list[Identification]]:
    """The candidates that reach CONFIDENT, and the weak ones below it."""
    return (
        [item for item in found if item.confidence >= CONFIDENT],
        [item for item in found if item.confidence < CONFIDENT],
    )


def _message_of(matcher: ServiceMatcher, body: SeenBody) -> str:
    if isinstance(body.value, str):
        return body.value
    for pointer in matcher.message_pointers:
        value = body.at(pointer)
        if isinstance(value, str):
            return value
    return ""


def _match_message(
    matcher: ServiceMatcher,
    skeleton: str,
    loose: tuple[str, ...],
    add: Callable[[int, float, str], None],
    named: list[int],
) -> None:
    """Signal the entries whose typical message the body's is (`named`: those of the
    service a code field already named)."""
    exact = matcher.by_skeleton.get(skeleton) if skeleton else None
    if exact:
        for pk in _told_apart(exact, named):
            add(pk, TYPICAL_MESSAGE, "typical message")
        return
    if not matcher.by_skeleton:
        return
    pks = [pk for typical in matcher.loose_skeletons(loose) for pk in matcher.by_skeleton[typical]]
    for pk in _told_apart(pks, named):
        add(pk, TYPICAL_WITH_VALUES, "typical message with other values")


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
    message = _message_of(matcher, body)
    skeleton = body.skeleton(message) if message else ""
    if not skeleton or not matcher.by_skeleton or skeleton in matcher.by_skeleton:
        return
    status = status or _body_status(matcher, body)
    add = _adder(matcher, matcher.envelope_fit(body), status, found)
    for typical in matcher.similar_skeletons(skeleton):
        ratio = difflib.SequenceMatcher(None, skeleton, typical).ratio()
        for pk in matcher.by_skeleton[typical]:
            add(pk, SIMILAR_MESSAGE * ratio, f"similar to a typical message ({ratio:.0%})")


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
    return identify_many([Seen(body, status, service)], user=user, limit=limit)[0]


def identify_many(
    responses: list[Seen], *, user: Any = None, limit: int = 10
) -> list[list[Identification]]:
    """identify() for each response, in order, reading the catalog version once and every
    matched entry in one query (a log pipeline's batch)."""
    version = catalog_version()
    index = matchers(version)
    hidden = set() if can_see_drafts(user) else _drafts(index)
    codes = BodyKeys(matchers=index, hidden=hidden)
    bodies = [_seen_body(seen, index) for seen in responses]
    codes.read(*(key for body, _, chosen in bodies for key in _code_keys(body, chosen)))
    # Only the best few are read from the database, once the drafts the caller may not
    # see are left out (the query keeps only what the caller may see all the same).
    bests = [
        [(pk, found) for pk, found in _rank(body, status, chosen, seen.service, index, codes)
         if pk not in hidden][:limit]
        for seen, (body, status, chosen) in zip(responses, bodies, strict=True)
    ]  # fmt: skip
    wanted = {pk for best in bests for pk, _ in best}
    errors = ErrorCode.objects.visible_to(user).for_entries().in_bulk(wanted) if wanted else {}
    answers = []
    for best in bests:
        ranked = sorted(
            (
                Identification(errors[pk], candidate.confidence, candidate.reason)
                for pk, candidate in best
                if pk in errors
            ),
            key=lambda item: (-item.confidence, item.error.service.slug, item.error.order),
        )
        answers.append(ranked[:limit])
    return answers


def _drafts(index: dict[str, ServiceMatcher]) -> set[int]:
    """The codes only staff see, of every service."""
    return set().union(*(matcher.drafts for matcher in index.values() if matcher.drafts))


def _seen_body(
    seen: Seen, index: dict[str, ServiceMatcher]
) -> tuple[SeenBody, int | None, list[ServiceMatcher]]:
    """The body parsed, its status (from an HTTP dump if need be) and the services to try."""
    body, status, service = seen.body, seen.status, seen.service
    if isinstance(body, str) and re.match(r"\s*HTTP/[\d.]+\s+\d{3}", body):
        seen_status, body = split_http_example(body)
        status = status or seen_status
    if service:
        if service not in index:
            raise UnknownService(service)
        chosen = [index[service]]
    else:
        chosen = list(index.values())
    return SeenBody(parse_body(body)), status, chosen


def _code_keys(body: SeenBody, chosen: list[ServiceMatcher]) -> Iterator[str]:
    """The code keys the body holds at the services' code pointers, and in an RFC 9457
    `type` that is an entry page's URL."""
    kind = body.at("/type")
    if isinstance(kind, str) and len(kind) <= 2000:
        page = PROBLEM_PAGE.search(urlsplit(kind).path)
        if page:
            yield body.code_key(unquote(page.group(2)))
    if isinstance(body.value, dict):
        for matcher in chosen:
            for pointer, _ in matcher.code_pointers:
                value = body.at(pointer)
                if isinstance(value, str | int) and not isinstance(value, bool):
                    yield body.code_key(str(value))


def _rank(
    body: SeenBody,
    status: int | None,
    chosen: list[ServiceMatcher],
    service: str | None,
    index: dict[str, ServiceMatcher],
    codes: BodyKeys,
) -> list[tuple[int, _Candidate]]:
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
    return sorted(found.items(), key=lambda item: -item[1].confidence)
