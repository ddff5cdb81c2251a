"""identify's matchers: what it keeps in memory of each service, and how it finds the codes
a body's code fields name.

Each service's matcher is built once per version of that service (MatcherCache and
errors.service_version: a write rebuilds the services it touched, not the catalog), and
indexes the service's typical messages by skeleton, its examples by shape and its codes
by alias; the codes holding a key as their own are read from the code-key index, once a
batch (BodyKeys). errors.identify weighs what they find.
"""

from __future__ import annotations

import difflib
import gc
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from itertools import chain

from django.db import connection

from errors.bodies import example_shape
from errors.catalog_version import catalog_version
from errors.codes import code_key
from errors.lookup import Candidate, CodeIndex
from errors.message_values import forms_of, loose_match
from errors.models import ErrorCode, Example, Service
from errors.service_version import service_versions
from errors.versioned_cache import VersionedCache, register

# The weights of a code field (errors.identify weighs every signal).
CODE_FIELD = 0.95
DOCUMENTED_CODE_FIELD = 0.9
SIMILARITY_CUTOFF = 0.8  # how close a similar message must be (difflib's ratio)


RAREST_WORDS = 3  # similar messages are looked for among those sharing these words
MAX_SIMILARITY_CANDIDATES = 500


def _words(skeleton: str) -> set[str]:
    return {word for word in re.findall(r"[a-z][a-z_]+", skeleton) if word not in PLACEHOLDERS}


PLACEHOLDERS = {"id", "value", "n"}


@dataclass
class ServiceMatcher:
    """Everything identify needs to know about one service, precomputed."""

    pk: int  # the service's id: BodyKeys names the service of a code it reads by it
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
        pk=service.pk,
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
        # The matchers by slug under the version last asked for; _refresh runs under its
        # lock, so it alone touches what was built per service.
        self._by_version: VersionedCache[dict[str, ServiceMatcher]] = VersionedCache()
        self._epoch = ""
        self._built: dict[int, tuple[int, ServiceMatcher]] = {}
        register(self)

    def get(self, version: str) -> dict[str, ServiceMatcher]:
        """The matchers under the catalog `version`, by slug."""
        return self._by_version.get(version, lambda: self._refresh(version))

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
        self._by_version.clear()
        self._epoch, self._built = "", {}


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
        if not new:
            return
        self.asked.update(new)
        rows: list[tuple[int, int, str, str, int]] = []
        # Written out, not built by the ORM: compiling this query cost as long as running
        # it, once every identify call. The services are named from the matchers, not
        # joined: the codes of a service added since they were built are left out, as no
        # matcher asks for them.
        with connection.cursor() as cursor:
            for start in range(0, len(new), KEYS_PER_QUERY):
                chunk = new[start : start + KEYS_PER_QUERY]
                cursor.execute(_holders_sql(len(chunk)), chunk)
                rows.extend(cursor.fetchall())
        slug_of = {matcher.pk: matcher.slug for matcher in self.matchers.values()}
        for pk, service_id, code, key, _ in sorted(rows, key=lambda row: (row[4], row[0])):
            if service_id in slug_of:  # in catalog order: order, then pk
                held = self.by_service.setdefault(slug_of[service_id], {}).setdefault(key, [])
                held.append(Candidate(pk, False, code))

    def candidates(self, service: str, key: str) -> list[Candidate]:
        """The codes of `service` that `key` may name: its own holders, then its alias
        holders (errors.lookup's rule)."""
        if key not in self.asked:
            self.read(key)
        found = super().candidates(service, key)
        matcher = self.matchers.get(service)
        aliases = matcher.alias_holders.get(key) if matcher else None
        if aliases:
            held = {candidate.pk for candidate in found}
            found = found + [candidate for candidate in aliases if candidate.pk not in held]
        if not self.hidden:
            return found  # read, never changed, by the callers
        return [candidate for candidate in found if candidate.pk not in self.hidden]


# What BodyKeys reads of each code holding a key as its own, in this order.
HOLDER_FIELDS = ("id", "service", "code", "code_key", "order")


def _holders_sql(count: int) -> str:
    """The statement reading the codes that hold any of `count` keys as their own, its
    names taken from the model and quoted as the database wants them."""
    quote = connection.ops.quote_name
    fields = ErrorCode._meta.concrete_fields
    column = {field.name: field.column or field.attname for field in fields}  # never None
    return (
        f"SELECT {', '.join(quote(column[name]) for name in HOLDER_FIELDS)} "
        f"FROM {quote(ErrorCode._meta.db_table)} "
        f"WHERE {quote(column['code_key'])} IN ({', '.join(['%s'] * count)})"
    )
