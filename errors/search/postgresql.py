"""Search on PostgreSQL, all of its SQL: `errors_search` holds a weighted tsvector per code
(GIN-indexed, kept in step by triggers) and its keys under pg_trgm; `common_lexemes` reads
ANALYZE's most common words once per catalog version."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.db import connection

from errors.search.engine import (
    ALIAS_COUNT,
    CATALOG_VERSION,
    CODE_PREFIX,
    EXACT_CODE,
    KEY_CONTAINS,
    NO_RANK,
    VERSION_KEY,
    Engine,
    OnCodes,
    Placed,
    Source,
    exact_alias,
    matches_of,
)
from errors.search.plan import (
    ALIAS_KEY,
    CODE_KEY,
    CONTAINS_MIN,
    FUZZY_CANDIDATES,
    INSIDE_KEY,
    PREFIX_KEY,
    SHORT_PREFIX,
    WORD_KEY,
    TextPlan,
)
from errors.search.trigram_counts import (
    RARE_CAP,
    TRIGRAM_MARK,
    KeyCounts,
    key_trigrams,
    rarest,
)
from errors.versioned_cache import VersionedCache

POSTGRES_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"


# How many keys spelt somewhat like a misspelt code are compared with it at most.
FUZZY_READ = 1000


# A trigram pg_trgm indexes as it is: letters and digits (it splits words at others).
INDEXED_TRIGRAM = re.compile(r"[a-z0-9]{3}")


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_contains(value: str) -> str:
    return f"%{_like_escape(value)}%"


def _like_prefix(value: str) -> str:
    return f"{_like_escape(value)}%"


class PostgresEngine(Engine):
    """Weighted tsvector with ts_rank (errors_search: English stems, no stop words),
    pg_trgm over keys."""

    def __init__(self) -> None:
        # The counts of the key's trigrams word_stats() read or found held, for
        # _key_kinds() to find the codes holding the key inside by its rarest.
        self._key_counts: KeyCounts | None = None

    def word_stats(self, plan: TextPlan) -> tuple[dict[str, float], str]:
        # Whether a code starts with the key comes from the code-key btree; whether a key
        # holds it is asked only when none starts with it (it matters only then): each
        # is a read of the trigram index, 11-13 ms for a long key at a million codes.
        # ANALYZE keeps the most common lexemes of a tsvector column with their share of
        # rows; a word missing from that list is rare. Reading and joining that list took
        # about 5 ms a search, so it is kept until the catalog or its statistics change
        # (common_lexemes): the statement here only stems the words, checks the key and
        # reads what the list was read under.
        prefix = plan.terms[-1] if plan.prefix_last else ""
        # The key's trigrams this worker has not counted under a version yet
        # (errors.search.trigram_counts), letters and digits alone: pg_trgm indexes those.
        if len(plan.key) >= CONTAINS_MIN:
            grams = [gram for gram in key_trigrams(plan.key) if INDEXED_TRIGRAM.fullmatch(gram)]
            self._key_counts = KeyCounts(grams)
        uncounted = self._key_counts.uncounted if self._key_counts else []
        counts = "".join(
            "UNION ALL SELECT %s, NULL, count(*) FROM (SELECT 1 FROM errors_search "
            f"WHERE keys LIKE %s LIMIT {RARE_CAP + 1}) x "
            for _ in uncounted
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT w.term, tsvector_to_array(to_tsvector('errors_search', w.words)), 0
                FROM unnest(%s::text[], %s::text[]) AS w(term, words)
                UNION ALL
                SELECT '{CODE_KEY}', NULL, count(*) FROM (
                    SELECT 1 FROM errors_errorcode WHERE code_key LIKE %s LIMIT 1) x
                UNION ALL
                SELECT '{ALIAS_KEY}', NULL, {ALIAS_COUNT}
                UNION ALL
                SELECT '{INSIDE_KEY}', NULL, count(*) FROM (
                    SELECT 1 FROM errors_search WHERE length(%s) >= {CONTAINS_MIN}
                    AND NOT EXISTS (SELECT 1 FROM errors_errorcode WHERE code_key LIKE %s)
                    AND keys LIKE %s LIMIT 1) x
                UNION ALL
                SELECT '{WORD_KEY}', NULL, count(*) FROM (
                    SELECT 1 FROM errors_search WHERE %s <> ''
                    AND document @@ plainto_tsquery('errors_search', %s) LIMIT 1) x
                UNION ALL
                SELECT c.word, NULL, 1 FROM unnest(%s::text[]) AS c(word)
                WHERE EXISTS (SELECT 1 FROM errors_search
                    WHERE document @@ to_tsquery('errors_search', c.word || ':BC'))
                UNION ALL
                SELECT '{VERSION_KEY}', ARRAY[{STATISTICS_VERSION}], 0
                FROM errors_catalogstate WHERE id = 1
                {counts}""",
                [
                    list(plan.terms),
                    # A word counts with its synonyms: common if one of them is.
                    [" ".join(plan.spellings(term)) for term in plan.terms],
                    _like_prefix(plan.key),
                    plan.key,
                    plan.key,
                    _like_prefix(plan.key),
                    _like_contains(plan.key),
                    prefix,
                    prefix,
                    # Words written as one (`todate`) that some code's prose holds.
                    list(plan.compounds),
                    *(param for gram in uncounted for param in (TRIGRAM_MARK + gram, f"%{gram}%")),
                ],
            )
            rows = cursor.fetchall()
        version = next((lexemes[0] for name, lexemes, _ in rows if name == VERSION_KEY), "")
        common = common_lexemes(version)
        catalog = version.split("/", 1)[0] or "none"
        if self._key_counts:
            self._key_counts.read(catalog, {name: count for name, _, count in rows})
        counted = (CODE_KEY, ALIAS_KEY, INSIDE_KEY, WORD_KEY, *plan.compounds)
        stats = {name: float(count) for name, _, count in rows if name in counted}
        for name, lexemes, _ in rows:
            if name not in (*counted, VERSION_KEY) and not name.startswith(TRIGRAM_MARK):
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
        return stats, catalog

    def matches(
        self,
        plan: TextPlan,
        fuzzy: dict[int, float],
        base: tuple[str, Sequence[Any]],
        *,
        narrowed: bool = False,
        unfiltered: bool | None = None,
        cap: int,
    ) -> tuple[str, list]:
        # One SELECT a kind of match, each with its tier: PostgreSQL stops each at `cap`
        # (matches_of), where one SELECT with the conditions joined by OR (BitmapOr)
        # read, ranked and sorted by tier every code holding a common word or key.
        words: Source | Placed | None = None
        if plan.match_terms:
            column, tsquery, terms = self._tsquery(plan)
            # ts_rank sums weights, so one title word beats a message matching every
            # word; scaling by the share of the words a code matches restores what bm25
            # does. With every word required, that share is always one.
            coverage, coverage_params = str(len(terms)), []
            if not plan.require_all:
                coverage = " + ".join(
                    f"(k.{column} @@ to_tsquery('errors_search', %s))::int" for _ in terms
                )
                coverage_params = terms
            words = _placed(
                f"ts_rank('{POSTGRES_WEIGHTS}', k.{column}, to_tsquery('errors_search', %s))"
                f" * ({coverage}) / {len(terms)}.0",
                0,
                f"k.{column} @@ to_tsquery('errors_search', %s)",
                [tsquery, *coverage_params, tsquery],
                unfiltered,
            )
        keys = self._key_kinds(plan, unfiltered) if plan.matches_keys else []
        return matches_of(words, keys, fuzzy, base, cap)

    def _key_kinds(
        self, plan: TextPlan, unfiltered: bool | None = None
    ) -> list[Source | OnCodes | Placed]:
        """The kinds of key match, best tier first (as matches_of wants them)."""
        long_key = len(plan.key) >= CONTAINS_MIN
        # The code's own key, and the codes starting with it, from the codes' key index
        # alone, with the filters (migration 0021).
        exact = OnCodes(EXACT_CODE, "f.code_key = %s", [plan.key])
        alias = exact_alias(plan.key)
        prefix = OnCodes(
            CODE_PREFIX,
            "f.code_key LIKE %s AND f.code_key <> %s",
            [_like_prefix(plan.key), plan.key],
        )
        inside = _placed(
            NO_RANK, KEY_CONTAINS, "keys LIKE %s", [_like_contains(plan.key)], unfiltered
        )
        rare = rarest(plan.key, self._key_counts.counts) if self._key_counts else []
        if rare:
            # The trigram index reads the lists of every trigram of the pattern (3.9 ms
            # for webhook_limit_exceeded at 100,000 codes): the codes holding the two
            # rarest, each checked to hold the key, are the same codes (0.3 ms).
            inside = _placed(
                NO_RANK,
                KEY_CONTAINS,
                f"{'keys LIKE %s AND ' * len(rare)}strpos(keys, %s) > 0",
                [*(f"%{gram}%" for gram in rare), plan.key],
                unfiltered,
            )
        kinds: list[tuple[Source | OnCodes | Placed, bool]] = [
            (exact, plan.code_starts),
            (alias, plan.key_alias),
            (prefix, plan.code_starts),
            (inside, long_key),
        ]
        return [kind for kind, wanted in kinds if wanted]

    @staticmethod
    def _tsquery(plan: TextPlan) -> tuple[str, str, list[str]]:
        """The column to match, the tsquery and its words (letters and digits only, so
        they cannot break the tsquery syntax)."""
        terms = [" | ".join(plan.spellings(term)) for term in plan.match_terms]
        if plan.prefix_last:
            terms[-1] = f"{terms[-1]} | {plan.match_terms[-1]}:*"
        terms = [f"({term})" for term in terms]
        if plan.require_all:  # every word, in code, aliases, title, summary or messages
            return "strong", " & ".join(terms), terms
        # Words prose may write as one (toDate), in prose only (weights B and C): a code
        # spelt as one word (NotFound) is the code tiers' to find.
        terms += [f"{word}:BC" for word in plan.compounds]
        return "document", " | ".join(terms), terms

    def fuzzy_candidates(self, key: str) -> tuple[str, list]:
        # The trigram index finds the keys sharing enough trigrams with the key (`<%`);
        # their similarity is worked out for each, twice (to keep it, to order by it):
        # 5,200 keys and 29 ms for webhok_limit_exceeded at 100,000 codes, growing with
        # the catalog. At most FUZZY_READ of them are read and ordered, by a function
        # (migration 0025) that reads them through the trigram index alone: planned
        # here, the statement read the table in order instead whenever ANALYZE's sample
        # had the planner expect many keys to pass (50 ms against 6).
        return (
            "SELECT error_id, keys FROM errors_search_spelt_like(%s, %s, %s)",
            [key, FUZZY_READ, FUZZY_CANDIDATES],
        )

    def contains(self, haystack: str) -> str:
        return f"strpos({haystack}, %s) > 0"


def _placed(
    rank: str, tier: int, where: str, params: list, unfiltered: bool | None
) -> Source | Placed:
    """A kind of match read from errors_search (as `k`): with no filter but who may see
    what, its rows carry the code's placing (migration 0026), so it is read as it is;
    otherwise its ids are joined to the filters' query."""
    if unfiltered is None:
        return (
            f"SELECT k.error_id AS id, {int(tier)} AS tier, {rank} AS rank "
            f"FROM errors_search k WHERE {where}",
            params,
        )
    visible = "" if unfiltered else " AND k.published"
    return Placed(
        f'SELECT k.error_id AS id, k.code_key, k."order", k.service_id, k.http_status, '
        f"{int(tier)} AS tier, {rank} AS rank FROM errors_search k WHERE {where}{visible}",
        params,
    )


# What word_stats() reads its word statistics under: the catalog version, and
# when errors_search was last analyzed and the row count that ANALYZE left in pg_class
# (autovacuum analyzes some time after a write, so the version alone would keep the
# statistics read before that until the next write).
STATISTICS_VERSION = (
    f"{CATALOG_VERSION} || '/' || coalesce(greatest("
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


_common_lexemes: VersionedCache[dict[str, float]] = VersionedCache()


def common_lexemes(version: str) -> dict[str, float]:
    """PostgreSQL's most common lexemes of the search documents, with about how many
    codes hold each, read once per `version` (catalog version and last ANALYZE). What
    search returns never depends on them, only which words count as common."""
    return _common_lexemes.get(version, _read_common_lexemes)


def _read_common_lexemes() -> dict[str, float]:
    with connection.cursor() as cursor:
        cursor.execute(COMMON_LEXEMES_SQL)
        # most_common_elem_freqs ends with three summary figures that name no lexeme.
        return {elem: float(docs) for elem, docs in cursor.fetchall() if elem is not None}
