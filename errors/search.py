"""The one search over the catalog, behind the search page, the API and the CLI.

`parse_query` turns what a user typed (with `service:`, `status:`, `category:`,
`lifecycle:` filters and bare status numbers) into a `SearchQuery`; `search_errors`
ranks the visible codes for it and counts them per service and status.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field, replace

from django.db import connection
from django.db.models import Count
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

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
    # Safe HTML: a snippet of the matched field, escaped, the matched words in <mark>.
    highlight: SafeString = field(default_factory=lambda: SafeString(""))


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
    # True when more codes match than search counts (MATCH_CAP): `total` and the
    # counts per service and status are then "at least", and the page is ranked among
    # the first MATCH_CAP + 1 matches.
    total_is_lower_bound: bool = False

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

    def as_dict(self) -> dict:
        """Plain data (JSON-ready) of the page, its counts and the query it answers."""
        return {
            "query": asdict(self.query),
            "total": self.total,
            "total_is_lower_bound": self.total_is_lower_bound,
            "page": self.page,
            "pages": self.pages,
            "per_page": self.per_page,
            "by_service": self.by_service,
            "by_status": {str(status): count for status, count in sorted(self.by_status.items())},
            "exact_match": self.exact_match.code if self.exact_match else None,
            "hits": [
                {
                    "service": hit.error.service.slug,
                    "code": hit.error.code,
                    "http_status": hit.error.http_status,
                    "title": hit.error.title,
                    "url": hit.error.get_absolute_url(),
                    "score": hit.score,
                    "matched": hit.matched,
                    "highlight": str(hit.highlight),
                }
                for hit in self.hits
            ],
        }


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


# Words too common to tell codes apart; dropping them keeps an OR query on a pasted
# message small and its ranking about the words that matter.
STOP_WORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have if in
    into is it its may must of on or please should so than that the their then there these
    this to was were when which will with you your""".split()  # noqa: SIM905
)
MAX_TERMS = 12
# A word in more codes than this is too common to widen an OR query: scoring every code
# that has it is what makes a search slow at 100,000 codes (see docs/performance.md).
COMMON_DOCS = 2000
# Names in word_stats() for the count of the last word as a prefix, for whether a
# code starts with the key (then the key is no misspelling), and for whether a code or
# alias holds a key of CONTAINS_MIN letters or more.
PREFIX_KEY, CODE_KEY, INSIDE_KEY = "*prefix", "*code", "*inside"
# Shorter keys only match code prefixes: "acc" is inside too many codes to mean anything.
CONTAINS_MIN = 6
# PostgreSQL cannot count what a prefix shorter than this expands to: taken as common.
SHORT_PREFIX = 5
# When every word is that common, all are required in the strong fields (code, aliases,
# title, summary, messages).
STRONG_COLUMNS = "{code aliases title summary messages}"
# Search reads at most this many matches (and one more, to know there are more):
# counting and ranking 9,000 matches of `status:429 limit` took 50 ms at 100,000 codes.
MATCH_CAP = 1000
# Ranks of the code tiers; full-text relevance adds less than 100 on top.
EXACT_CODE, EXACT_ALIAS, CODE_PREFIX, KEY_CONTAINS, FUZZY_CODE = 1000, 900, 700, 400, 300
FUZZY_THRESHOLD = 0.45
# Shorter words are rarely misspelt codes, and trigrams say little about them.
FUZZY_MIN = 6
FUZZY_CANDIDATES = 50
FUZZY_KEEP = 10
# bm25 weight of each FTS5 column, in SQLITE_TEXT_COLUMNS order; ts_rank weights {D,C,B,A}.
SQLITE_COLUMN_WEIGHTS = "10, 8, 6, 4, 4, 1.5, 1.5, 1"
POSTGRES_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
# Fields searched for the highlighted snippet, best first, as the ranking orders them.
HIGHLIGHT_FIELDS = (
    "code",
    "aliases",
    "title",
    "summary",
    "messages",
    "description",
    "resolution",
    "examples",
)
SNIPPET_LENGTH = 160
# Only the start of a long field is searched for the snippet.
HIGHLIGHT_SCAN = 4000
# Words of a text for highlighting, CamelCase split as search_terms splits it.
WORD_PATTERN = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^\W\d_A-Za-z]+")


@dataclass(frozen=True)
class TextPlan:
    """How the free text is searched: as a code key, as words, and as a misspelt code."""

    key: str
    terms: tuple[str, ...]
    prefix_last: bool
    one_word: bool = False
    # The words the full-text match uses: all of them, or only the rarer ones when some
    # are in so many codes that an OR over them would rank half the catalog.
    match_terms: tuple[str, ...] = ()
    require_all: bool = False
    # One token spelt like a code: `_`, `-`, digits or inner capitals (RATE_LIMITED).
    code_like: bool = False
    # Whether some code starts with the key, and whether a code or alias holds it
    # (word_stats knows): a key that matches nothing is left out of the match, so the
    # matches need no ordering by code tier before the cap (MATCH_CAP).
    code_starts: bool = True
    key_inside: bool = True

    @property
    def matches_keys(self) -> bool:
        """Whether the code keys match: a code starts with the key, or the key is long
        enough to be looked for inside codes and aliases and is there."""
        return bool(self.key) and (
            self.code_starts or (len(self.key) >= CONTAINS_MIN and self.key_inside)
        )

    @property
    def single_token(self) -> bool:
        """A lone code-like token, the only text worth a misspelling lookup."""
        return self.one_word and len(self.key) >= FUZZY_MIN


def search_terms(text: str) -> tuple[str, ...]:
    """The words of `text` worth searching: no stop words, no concrete values.

    CamelCase codes split into words (`PipelineTimeout` -> pipeline, timeout); numbers
    and long ids are dropped, so `between 0 and 5` still finds `between 0 and 1`.
    """
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    terms: list[str] = []
    for word in re.findall(r"[^\W_]+", spaced.lower()):
        concrete = word.isdigit() or (any(c.isdigit() for c in word) and len(word) > 5)
        if word in STOP_WORDS or concrete or word in terms:
            continue
        terms.append(word)
    return tuple(terms[:MAX_TERMS])


def plan_text(text: str) -> TextPlan:
    """Split free text into its code key and its search words."""
    terms = search_terms(text)
    return TextPlan(
        key=code_key(text)[:100],
        terms=terms,
        prefix_last=bool(terms) and not text[-1:].isspace() and len(terms[-1]) >= 2,
        one_word=len(text.split()) == 1,
        match_terms=terms,
        code_like=len(text.split()) == 1 and bool(re.search(r"[_\-\d]|[a-z][A-Z]", text)),
    )


def trigram_similarity(word: str, keys: str) -> float:
    """pg_trgm's similarity of `word` to the closest of `keys` (space separated), 0..1."""

    def trigrams(value: str) -> set[str]:
        padded = f"  {value} "
        return {padded[i : i + 3] for i in range(len(padded) - 2)}

    wanted = trigrams(word)
    best = 0.0
    for key in keys.split():
        have = trigrams(key)
        best = max(best, len(wanted & have) / len(wanted | have))
    return best


def _fts5_phrase(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_contains(value: str) -> str:
    return f"%{_like_escape(value)}%"


def _like_prefix(value: str) -> str:
    return f"{_like_escape(value)}%"


def _next_key(value: str) -> str:
    """The smallest string after every string starting with `value` (a range's end)."""
    return value[:-1] + chr(ord(value[-1]) + 1) if value else "\uffff"


MATCH_COLUMNS = 'b.id, b.code_key, b."order", b.service_id, b.http_status'
SPACED_KEYS = "' ' || keys || ' '"


class Engine:
    """The SQL one database vendor needs; `search_errors` composes it."""

    def matches(
        self, plan: TextPlan, fuzzy: dict[int, float], base: tuple[str, list]
    ) -> tuple[str, list]:
        """SELECT of the matching codes that `base` (the filters) lets through: id,
        code_key, order, service_id, http_status, code tier and full-text rank."""
        raise NotImplementedError

    def word_stats(self, plan: TextPlan) -> dict[str, float]:
        """How many codes hold each word (estimated where the database only estimates),
        under PREFIX_KEY those its last word starts, and under CODE_KEY whether some code
        starts with the key: one query."""
        raise NotImplementedError

    def fuzzy_candidates(self, key: str) -> tuple[str, list]:
        """(id, keys) of up to FUZZY_CANDIDATES codes spelt a little like `key`."""
        raise NotImplementedError

    def contains(self, haystack: str) -> str:
        """SQL true when `haystack` holds the parameter that follows."""
        raise NotImplementedError


class SQLiteEngine(Engine):
    """FTS5: bm25 over weighted columns, a trigram table for keys."""

    def matches(
        self, plan: TextPlan, fuzzy: dict[int, float], base: tuple[str, list]
    ) -> tuple[str, list]:
        candidates, params = _union_candidates(self, plan, fuzzy)
        return (
            f"SELECT {MATCH_COLUMNS}, c.tier AS tier, c.rank AS rank "
            f"FROM ({candidates}) c JOIN ({base[0]}) b ON b.id = c.id",
            [*params, *base[1]],
        )

    def word_stats(self, plan: TextPlan) -> dict[str, float]:
        # Counted by the full-text index itself, which stems each word (and a prefix:
        # "vers*" is "ver*") as it indexed it, and stops at COMMON_DOCS + 1: all that
        # matters is whether a word is common. fts5vocab would count all of a word's
        # codes, 8 ms for one in every code.
        counted = (
            "(SELECT count(*) FROM (SELECT 1 FROM errors_search_text "
            f"WHERE errors_search_text MATCH %s LIMIT {COMMON_DOCS + 1}))"
        )
        parts = [f"SELECT %s, {counted}" for _ in plan.terms]
        params: list = [param for term in plan.terms for param in (term, _fts5_phrase(term))]
        if plan.prefix_last:
            parts.append(f"SELECT '{PREFIX_KEY}', {counted}")
            params.append(_fts5_phrase(plan.terms[-1]) + "*")
        parts.append(
            f"SELECT '{CODE_KEY}', count(*) FROM (SELECT 1 FROM errors_errorcode "
            "WHERE code_key >= %s AND code_key < %s LIMIT 1)"
        )
        params += [plan.key, _next_key(plan.key)]
        if len(plan.key) >= CONTAINS_MIN:
            parts.append(
                f"SELECT '{INSIDE_KEY}', count(*) FROM (SELECT 1 FROM errors_search_keys "
                "WHERE errors_search_keys MATCH %s LIMIT 1)"
            )
            params.append(_fts5_phrase(plan.key))
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            found = {term: count or 0 for term, count in cursor.fetchall()}
        names = (*plan.terms, PREFIX_KEY, CODE_KEY, INSIDE_KEY)
        return {name: found.get(name, 0) for name in names}

    def text_candidates(self, plan: TextPlan) -> tuple[str, list]:
        phrases = [_fts5_phrase(term) for term in plan.match_terms]
        if plan.prefix_last:
            phrases[-1] = f"({phrases[-1]} OR {phrases[-1]}*)"
        expression = (" AND " if plan.require_all else " OR ").join(phrases)
        if plan.require_all:  # every word, in code, aliases, title, summary or messages
            expression = f"{STRONG_COLUMNS} : ({expression})"
        # bm25 costs 2 to 4 microseconds a match; when every word is required, all
        # matches hold them all in strong fields, so the code tiers and the shortest code
        # order them instead.
        rank = "1.0" if plan.require_all else f"-bm25(errors_search_text, {SQLITE_COLUMN_WEIGHTS})"
        return (
            f"SELECT rowid AS id, 0 AS tier, {rank} AS rank "
            "FROM errors_search_text WHERE errors_search_text MATCH %s",
            [expression],
        )

    def key_candidates(self, key: str, code_starts: bool) -> tuple[str, list]:
        parts, params = [], []
        if code_starts:
            parts.append(
                f"SELECT id, CASE WHEN code_key = %s THEN {EXACT_CODE} ELSE {CODE_PREFIX} END "
                "AS tier, 0.0 AS rank FROM errors_errorcode WHERE code_key >= %s AND code_key < %s"
            )
            params += [key, key, _next_key(key)]
        if len(key) >= CONTAINS_MIN:
            parts.append(
                f"SELECT rowid AS id, CASE WHEN {self.contains(SPACED_KEYS)} "
                f"THEN {EXACT_ALIAS} ELSE {KEY_CONTAINS} END AS tier, 0.0 AS rank "
                "FROM errors_search_keys WHERE errors_search_keys MATCH %s"
            )
            params += [f" {key} ", _fts5_phrase(key)]
        return " UNION ALL ".join(parts), params

    def fuzzy_candidates(self, key: str) -> tuple[str, list]:
        # Codes sharing a 4- or 5-letter run with the key: one typo leaves such runs
        # intact, and they match far fewer codes than single trigrams would.
        size = 4 if len(key) < 10 else 5
        grams = {key[i : i + size] for i in range(0, len(key) - size + 1, size - 1)}
        grams = sorted(grams | {key[-size:]})
        return (
            "SELECT rowid, keys FROM errors_search_keys WHERE errors_search_keys MATCH %s "
            "ORDER BY rank LIMIT %s",
            [" OR ".join(_fts5_phrase(gram) for gram in grams), FUZZY_CANDIDATES],
        )

    def contains(self, haystack: str) -> str:
        return f"instr({haystack}, %s) > 0"


class PostgresEngine(Engine):
    """Weighted tsvector with ts_rank (errors_search: English stems, no stop words),
    pg_trgm over keys."""

    def word_stats(self, plan: TextPlan) -> dict[str, float]:
        # ANALYZE keeps the most common lexemes of a tsvector column with their share of
        # rows; a word missing from that list is rare. Reading and joining that list took
        # about 5 ms a search, so it is kept until the catalog or its statistics change
        # (common_lexemes): the statement here only stems the words, checks the key and
        # reads what the list was read under.
        prefix = plan.terms[-1] if plan.prefix_last else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT w.term, tsvector_to_array(to_tsvector('errors_search', w.term)), 0
                FROM unnest(%s::text[]) AS w(term)
                UNION ALL
                SELECT '{CODE_KEY}', NULL, count(*) FROM (
                    SELECT 1 FROM errors_search WHERE keys LIKE %s LIMIT 1) x
                UNION ALL
                SELECT '{INSIDE_KEY}', NULL, count(*) FROM (
                    SELECT 1 FROM errors_search WHERE length(%s) >= {CONTAINS_MIN}
                    AND keys LIKE %s LIMIT 1) x
                UNION ALL
                SELECT '{VERSION_KEY}', ARRAY[{STATISTICS_VERSION}], 0
                FROM errors_catalogstate WHERE id = 1
                """,
                [list(plan.terms), _like_prefix(plan.key), plan.key, _like_contains(plan.key)],
            )
            rows = cursor.fetchall()
        version = next((lexemes[0] for name, lexemes, _ in rows if name == VERSION_KEY), "")
        common = common_lexemes(version)
        stats = {name: float(count) for name, _, count in rows if name in (CODE_KEY, INSIDE_KEY)}
        for name, lexemes, _ in rows:
            if name not in (CODE_KEY, INSIDE_KEY, VERSION_KEY):
                stats[name] = max((common.get(lexeme, 0.0) for lexeme in lexemes), default=0.0)
        stats[PREFIX_KEY] = (
            sum(docs for lexeme, docs in common.items() if lexeme.startswith(prefix))
            if prefix
            else 0.0
        )
        if prefix and len(prefix) < SHORT_PREFIX:
            # pg_stats lists only lexemes above a frequency cutoff, so its sum misses
            # most of what a short prefix expands to ("vers" -> 800 listed, 16,000 real).
            stats[PREFIX_KEY] = float("inf")
        return stats

    def matches(
        self, plan: TextPlan, fuzzy: dict[int, float], base: tuple[str, list]
    ) -> tuple[str, list]:
        # One table, conditions joined by OR: PostgreSQL combines its indexes (BitmapOr),
        # or, when the filters are narrower, reads the filtered codes and checks each.
        conditions: list[str] = []
        params: list = []
        rank, rank_params = "0.0", []
        if plan.match_terms:
            column, tsquery, terms = self._tsquery(plan)
            conditions.append(f"k.{column} @@ to_tsquery('errors_search', %s)")
            params.append(tsquery)
            # ts_rank sums weights, so one title word beats a message matching every
            # word; scaling by the share of the words a code matches restores what bm25
            # does. With every word required, that share is always one.
            coverage, coverage_params = str(len(terms)), []
            if not plan.require_all:
                coverage = " + ".join(
                    f"(k.{column} @@ to_tsquery('errors_search', %s))::int" for _ in terms
                )
                coverage_params = terms
            rank = (
                f"CASE WHEN k.{column} @@ to_tsquery('errors_search', %s) THEN "
                f"ts_rank('{POSTGRES_WEIGHTS}', k.{column}, to_tsquery('errors_search', %s))"
                f" * ({coverage}) / {len(terms)}.0 ELSE 0.0 END"
            )
            rank_params = [tsquery, tsquery, *coverage_params]
        if plan.matches_keys:
            # keys starts with the code's own key; the trigram index serves both patterns.
            long_key = len(plan.key) >= CONTAINS_MIN
            conditions.append("k.keys LIKE %s")
            params.append(_like_contains(plan.key) if long_key else _like_prefix(plan.key))
        if fuzzy:
            conditions.append(f"k.error_id IN ({', '.join(str(int(pk)) for pk in fuzzy)})")
        where = " OR ".join(conditions) or "FALSE"
        tier, tier_params = _tier_sql(self, plan, fuzzy, "b.code_key", "k.keys", "b.id")
        return (
            f"SELECT {MATCH_COLUMNS}, {tier} AS tier, {rank} AS rank "
            f"FROM errors_search k JOIN ({base[0]}) b ON b.id = k.error_id WHERE ({where})",
            [*tier_params, *rank_params, *base[1], *params],
        )

    @staticmethod
    def _tsquery(plan: TextPlan) -> tuple[str, str, list[str]]:
        """The column to match, the tsquery and its words (letters and digits only, so
        they cannot break the tsquery syntax)."""
        terms = list(plan.match_terms)
        if plan.prefix_last:
            terms[-1] = f"{terms[-1]}:*"
        if plan.require_all:  # every word, in code, aliases, title, summary or messages
            return "strong", " & ".join(terms), terms
        return "document", " | ".join(terms), terms

    def fuzzy_candidates(self, key: str) -> tuple[str, list]:
        return (
            "SELECT error_id, keys FROM errors_search WHERE %s <%% keys "
            "ORDER BY word_similarity(%s, keys) DESC LIMIT %s",
            [key, key, FUZZY_CANDIDATES],
        )

    def contains(self, haystack: str) -> str:
        return f"strpos({haystack}, %s) > 0"


# Where word_stats() puts what its word statistics belong to: the catalog version, and
# when errors_search was last analyzed and the row count that ANALYZE left in pg_class
# (autovacuum analyzes some time after a write, so the version alone would keep the
# statistics read before that until the next write).
VERSION_KEY = "*version"
STATISTICS_VERSION = (
    "epoch || '-' || version || '/' || coalesce(greatest("
    "pg_stat_get_last_analyze_time('errors_search'::regclass), "
    "pg_stat_get_last_autoanalyze_time('errors_search'::regclass))::text, '') || '/' || "
    "(SELECT reltuples FROM pg_class WHERE oid = 'errors_search'::regclass)"
)
COMMON_LEXEMES_SQL = """
    SELECT x.elem, x.freq * c.reltuples
    FROM pg_stats s
    CROSS JOIN (SELECT reltuples FROM pg_class WHERE relname = 'errors_search') c
    CROSS JOIN unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs)
        AS x(elem, freq)
    WHERE s.tablename = 'errors_search' AND s.attname = 'document'
"""
_common_lexemes: dict[str, dict[str, float]] = {}


def common_lexemes(version: str) -> dict[str, float]:
    """PostgreSQL's most common lexemes of the search documents, with about how many
    codes hold each, read once per `version` (catalog version and last ANALYZE). What
    search returns never depends on them, only which words count as common."""
    found = _common_lexemes.get(version)
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute(COMMON_LEXEMES_SQL)
            # most_common_elem_freqs ends with three summary figures that name no lexeme.
            found = {elem: float(docs) for elem, docs in cursor.fetchall() if elem is not None}
        _common_lexemes.clear()
        _common_lexemes[version] = found
    return found


def forget_common_lexemes() -> None:
    """Drop this process's word statistics (tests whose rolled-back writes reuse versions)."""
    _common_lexemes.clear()


def engine_for(vendor: str) -> Engine:
    """The search SQL of a database vendor."""
    if vendor == "sqlite":
        return SQLiteEngine()
    if vendor == "postgresql":
        return PostgresEngine()
    raise NotImplementedError(f"Search supports SQLite and PostgreSQL, not {vendor}.")


def search_errors(
    query: SearchQuery, *, user=None, page: int = 1, per_page: int = 20
) -> SearchResults:
    """Rank the visible codes for `query` and return one page of them with counts.

    Ranking, counting and paging happen in SQL: a constant number of queries whatever
    the number of matches: four, five for a lone word that names no code as typed
    (the misspelling lookup).
    """
    page = max(page, 1)
    errors = filtered_errors(query, user)
    if not query.text:
        return _browse(query, errors, page, per_page)
    engine = engine_for(connection.vendor)
    plan = plan_text(query.text)
    stats = engine.word_stats(plan) if plan.terms or plan.key else {}
    plan = _without_common_words(plan, stats) if plan.terms else plan
    plan = replace(
        plan, code_starts=bool(stats.get(CODE_KEY)), key_inside=bool(stats.get(INSIDE_KEY))
    )
    if (plan.require_all or plan.code_like) and stats.get(CODE_KEY):
        # A code, or only common words, and codes start with the text (`RATE_LIMITED`,
        # `REQUEST_`): those codes, and those holding it, are what was meant, not the
        # thousands whose prose says "rate" or "request".
        plan = replace(plan, match_terms=())
    fuzzy = _fuzzy_matches(engine, plan) if not stats.get(CODE_KEY) else {}
    if plan.code_like and fuzzy:
        # A misspelt code (`SourceNotVerifed`): the codes spelt like it, not every code
        # whose prose says "source".
        plan = replace(plan, match_terms=())
    # The filters and visibility, as the ORM writes them; the engines join it to their
    # index so the database applies filters and full-text match together.
    base = (
        errors.order_by()
        .values("id", "code_key", "http_status", "order", "service_id")
        .query.sql_with_params()
    )
    matches, match_params = engine.matches(plan, fuzzy, base)
    # At most MATCH_CAP + 1 matches are read: past that the total is a lower bound.
    # The code tiers go first, so a cut never loses an exact code, alias or prefix;
    # without them every match has tier 0 and the database stops at the cap.
    tiers_first = "ORDER BY x.tier DESC " if plan.matches_keys or fuzzy else ""
    score = "m.tier + 100.0 * m.rank / (1.0 + m.rank)"
    # One statement finds the matches once, then counts them and ranks one page.
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH m AS {_materialized()}(SELECT * FROM ({matches}) x "
            f"{tiers_first}LIMIT {MATCH_CAP + 1}) "
            "SELECT 0, sv.slug, f.http_status, CAST(f.n AS float) FROM ("
            "SELECT c.service_id, c.http_status, count(*) AS n FROM "
            f"(SELECT * FROM m LIMIT {MATCH_CAP}) c "
            "GROUP BY c.service_id, c.http_status"
            ") f JOIN errors_service sv ON sv.id = f.service_id "
            "UNION ALL SELECT 2, '', CAST(NULL AS smallint), CAST(count(*) AS float) FROM m "
            "UNION ALL SELECT * FROM ("
            "SELECT 1, CAST(m.id AS text), CAST(NULL AS smallint), "
            f"CAST({score} AS float) AS score FROM (SELECT * FROM m LIMIT {MATCH_CAP}) m "
            "JOIN errors_service sv ON sv.id = m.service_id "
            'ORDER BY score DESC, length(m.code_key), sv.slug, m."order", m.id '
            "LIMIT %s OFFSET %s) page",
            [*match_params, per_page, (page - 1) * per_page],
        )
        rows = cursor.fetchall()
    by_service, by_status, total = _facets(
        [(slug, status, int(count)) for part, slug, status, count in rows if part == 0]
    )
    (read,) = [int(count) for part, _, _, count in rows if part == 2]
    ranked = [(int(pk), score) for part, pk, _, score in rows if part == 1]
    loaded = (
        ErrorCode.objects.select_related("service", "category")
        .prefetch_related("examples")
        .order_by()  # ranked above; the model's ordering would join and sort for nothing
        .in_bulk([pk for pk, _ in ranked])
    )
    pattern = term_pattern(plan)
    hits = [_hit(loaded[pk], float(score), plan, pattern, pk in fuzzy) for pk, score in ranked]
    return SearchResults(
        query=replace(query),
        hits=hits,
        total=total,
        page=page,
        per_page=per_page,
        by_service=by_service,
        by_status=by_status,
        total_is_lower_bound=read > MATCH_CAP,
    )


def _materialized() -> str:
    """MATERIALIZED where the database knows it: SQLite would otherwise run the matches
    twice, once for the counts and once for the page (PostgreSQL materializes a CTE
    used twice anyway)."""
    if connection.vendor == "sqlite" and connection.Database.sqlite_version_info < (3, 35):
        return ""
    return "MATERIALIZED "


def _browse(query: SearchQuery, errors, page: int, per_page: int) -> SearchResults:
    """No text: the filtered codes in catalog order, counted the same way."""
    # Grouped by status and service id, then named: grouping by slug (or by service
    # first) makes SQLite walk every code in service order instead of the status index.
    grouped, params = (
        errors.order_by()
        .values("http_status", "service_id")
        .annotate(n=Count("id"))
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT sv.slug, f.http_status, f.n FROM ({grouped}) f "
            "JOIN errors_service sv ON sv.id = f.service_id",
            params,
        )
        by_service, by_status, total = _facets(cursor.fetchall())
    start = (page - 1) * per_page
    # Sort only ids, then read the page's rows: sorting whole rows would read every
    # matching code's long texts (50 ms for 2,000 codes at 100,000).
    ordering = ("service__slug", "order", "code")
    page_ids = errors.order_by(*ordering).values("id")[start : start + per_page]
    page_errors = sorted(
        ErrorCode.objects.select_related("service", "category").filter(pk__in=page_ids),
        key=lambda error: (error.service.slug, error.order, error.code),
    )
    return SearchResults(
        query=replace(query),
        hits=[SearchHit(error, 0.0) for error in page_errors],
        total=total,
        page=page,
        per_page=per_page,
        by_service=by_service,
        by_status=by_status,
    )


def _fuzzy_matches(engine: Engine, plan: TextPlan) -> dict[int, float]:
    """Codes whose key is spelt like the text (`RATE_LIMTED`), with their similarity."""
    if not plan.single_token:
        return {}
    sql, params = engine.fuzzy_candidates(plan.key)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    scored = {pk: trigram_similarity(plan.key, keys) for pk, keys in rows}
    best = sorted(scored.items(), key=lambda item: -item[1])[:FUZZY_KEEP]
    return {pk: similarity for pk, similarity in best if similarity >= FUZZY_THRESHOLD}


def _without_common_words(plan: TextPlan, counts: dict[str, float]) -> TextPlan:
    """Leave words in more than COMMON_DOCS codes out of the match; if every word is that
    common, require them all instead, so the codes to rank stay few. A last word whose
    completions are that common is matched as it is, not as a prefix."""
    if plan.prefix_last and counts.get(PREFIX_KEY, 0) > COMMON_DOCS:
        plan = replace(plan, prefix_last=False)
    rare = tuple(term for term in plan.terms if counts.get(term, 0) <= COMMON_DOCS)
    if rare == plan.terms:
        return plan
    if not rare:
        return replace(plan, require_all=True)
    return replace(
        plan, match_terms=rare, prefix_last=plan.prefix_last and rare[-1] == plan.terms[-1]
    )


def _union_candidates(
    engine: SQLiteEngine, plan: TextPlan, fuzzy: dict[int, float]
) -> tuple[str, list]:
    """(id, tier, rank) of every code the words, the key or a misspelling match: FTS5
    tables answer MATCH only on their own, so each kind of match is its own SELECT and
    knows its tier."""
    sources = []
    if plan.match_terms:
        sources.append(engine.text_candidates(plan))
    if plan.matches_keys:
        sources.append(engine.key_candidates(plan.key, plan.code_starts))
    if fuzzy:
        ids = ", ".join(str(int(pk)) for pk in fuzzy)
        sources.append(
            (
                f"SELECT id, {_fuzzy_tier('id', fuzzy)} AS tier, 0.0 AS rank "
                f"FROM errors_errorcode WHERE id IN ({ids})",
                [],
            )
        )
    if not sources:
        sources.append(("SELECT id, 0 AS tier, 0.0 AS rank FROM errors_errorcode WHERE 1 = 0", []))
    union = " UNION ALL ".join(sql for sql, _ in sources)
    params = [param for _, source_params in sources for param in source_params]
    if len(sources) == 1 and plan.match_terms:
        # The full-text match alone names each code once: no grouping (a temporary
        # b-tree over every match, a third of the time for 10,000 matches).
        return union, params
    return (
        f"SELECT id, max(tier) AS tier, max(rank) AS rank FROM ({union}) matches GROUP BY id",
        params,
    )


def _fuzzy_tier(column: str, fuzzy: dict[int, float]) -> str:
    whens = " ".join(
        f"WHEN {int(pk)} THEN {FUZZY_CODE + 100 * similarity:.3f}"
        for pk, similarity in fuzzy.items()
    )
    return f"CASE {column} {whens} ELSE 0 END"


def _tier_sql(
    engine: Engine, plan: TextPlan, fuzzy: dict[int, float], code_key: str, keys: str, pk: str
) -> tuple[str, list]:
    """The code tier of a match: exact code, exact alias, code prefix, key inside, or
    misspelt code; 0 for a match on words alone."""
    tiers: list[str] = []
    params: list = []
    if plan.matches_keys:
        spaced_keys = f"' ' || {keys} || ' '"
        tiers += [
            f"WHEN {code_key} = %s THEN {EXACT_CODE}",
            f"WHEN {engine.contains(spaced_keys)} THEN {EXACT_ALIAS}",
            f"WHEN substr({code_key}, 1, %s) = %s THEN {CODE_PREFIX}",
            f"WHEN {engine.contains(keys)} THEN {KEY_CONTAINS}",
        ]
        params += [plan.key, f" {plan.key} ", len(plan.key), plan.key, plan.key]
    if fuzzy:
        tiers.append(f"WHEN {_fuzzy_tier(pk, fuzzy)} > 0 THEN {_fuzzy_tier(pk, fuzzy)}")
    if not tiers:
        return "0", params
    return f"CASE {' '.join(tiers)} ELSE 0 END", params


def _facets(rows: list[tuple[str, int | None, int]]) -> tuple[dict[str, int], dict[int, int], int]:
    """Counts per service and per status, and the total, from (service, status, count)."""
    by_service: Counter[str] = Counter()
    by_status: Counter[int] = Counter()
    for slug, status, count in rows:
        by_service[slug] += count
        if status:
            by_status[status] += count
    return dict(by_service), dict(by_status), sum(by_service.values())


def _hit(
    error: ErrorCode, score: float, plan: TextPlan, pattern: TermPattern, misspelt: bool
) -> SearchHit:
    if misspelt and not error.code_key.startswith(plan.key):
        return SearchHit(error, round(score, 3), "code", format_html("<mark>{}</mark>", error.code))
    matched, highlight = highlight_error(error, plan, pattern)
    return SearchHit(error, round(score, 3), matched, highlight)


def _field_text(error: ErrorCode, name: str) -> str:
    if name == "examples":
        return " … ".join(example.body for example in error.examples.all())
    value = getattr(error, name)
    return " · ".join(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class TermPattern:
    """Which words of a text the search would have matched, for highlighting."""

    regex: re.Pattern[str]
    # What every matched word starts with: a field that holds none of them anywhere has
    # no match, and skipping its word-by-word scan is most of what highlighting costs.
    literals: tuple[str, ...]

    def match(self, word: str) -> re.Match[str] | None:
        """Whether the lowercase `word` is one the search matched."""
        return self.regex.match(word)

    def may_match(self, lowered: str) -> bool:
        """False when no word of the lowercase text can match."""
        return any(literal in lowered for literal in self.literals)


def term_pattern(plan: TextPlan) -> TermPattern:
    """A lowercase word the search would have matched: a crude stem of a query word
    (the engines stem, so `exceeds` matched `exceeded` there), or the word itself."""
    parts, literals = [], []
    for position, term in enumerate(plan.terms):
        prefix = plan.prefix_last and position == len(plan.terms) - 1
        stem = term[: max(4, len(term) - 2)] if len(term) > 4 else term
        parts.append(re.escape(stem) if (prefix or stem != term) else re.escape(term) + r"\Z")
        literals.append(stem)
    return TermPattern(re.compile("|".join(parts) or r"(?!)"), tuple(literals))


def highlight_error(
    error: ErrorCode, plan: TextPlan, pattern: TermPattern | None = None
) -> tuple[str, SafeString]:
    """The field the text matched and a snippet of it, escaped, the words in <mark>."""
    pattern = pattern or term_pattern(plan)
    if plan.key and (
        error.code_key.startswith(plan.key)
        or any(code_key(alias) == plan.key for alias in error.aliases)
    ):
        field_name = "code" if error.code_key.startswith(plan.key) else "aliases"
        text = _field_text(error, field_name)
        return field_name, format_html("<mark>{}</mark>", text)
    best: tuple[int, str, list[tuple[int, int]], str] = (0, "", [], "")
    for name in HIGHLIGHT_FIELDS:
        text = _field_text(error, name)
        spans = _matched_spans(text, pattern)
        # The field with the most distinct query words wins; ties go to the earlier field.
        words = len({text[start:end].lower() for start, end in spans})
        if words > best[0]:
            best = (words, name, spans, text)
    words, name, spans, text = best
    if words:
        return name, _snippet(text, spans)
    return "", escape(error.summary or error.title)


def _matched_spans(text: str, pattern: TermPattern) -> list[tuple[int, int]]:
    if not pattern.may_match(text[:HIGHLIGHT_SCAN].lower()):
        return []
    return [
        found.span()
        for found in WORD_PATTERN.finditer(text, 0, HIGHLIGHT_SCAN)
        if pattern.match(found.group().lower())
    ]


def _snippet(text: str, spans: list[tuple[int, int]]) -> SafeString:
    """About SNIPPET_LENGTH characters around the first match, cut at word boundaries."""
    start = max(0, spans[0][0] - SNIPPET_LENGTH // 3)
    if start:
        start = text.find(" ", start) + 1 or start
    end = min(len(text), start + SNIPPET_LENGTH)
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > spans[0][1] else end
    pieces = ["…"] if start else []
    cursor = start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        pieces.append(escape(text[cursor:span_start]))
        pieces.append(format_html("<mark>{}</mark>", text[span_start:span_end]))
        cursor = span_end
    pieces.append(escape(text[cursor:end]))
    if end < len(text):
        pieces.append("…")
    return mark_safe("".join(str(piece) for piece in pieces))  # every piece is escaped
