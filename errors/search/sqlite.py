"""Search on SQLite: the queries over its index (errors.search.sqlite_index: two FTS5
tables kept in step by triggers, `errors_search_text`, porter-stemmed words in weighted
columns, and `errors_search_keys`, trigram-tokenised code and alias keys)."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

from django.db import connection

from errors.search.engine import (
    ALIAS_COUNT,
    CATALOG_VERSION,
    CODE_PREFIX,
    EXACT_ALIAS,
    EXACT_CODE,
    KEY_CONTAINS,
    NO_RANK,
    SPACED_KEYS,
    VERSION_KEY,
    Engine,
    exact_alias,
    matches_of,
)
from errors.search.plan import (
    ALIAS_KEY,
    CODE_KEY,
    COMMON_DOCS,
    CONTAINS_MIN,
    FUZZY_CANDIDATES,
    INSIDE_KEY,
    PREFIX_KEY,
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

# bm25 weight of each FTS5 column, in sqlite_index.SQLITE_TEXT_COLUMNS order (ts_rank's
# weights are {D,C,B,A}).
SQLITE_COLUMN_WEIGHTS = "10, 8, 6, 4, 4, 1.5, 1.5, 1"


# The keys as the trigram tokenizer folds them, for an ASCII key: of every character
# past ASCII, only the Kelvin sign (U+212A) and the long s (U+017F) fold to ASCII
# letters (checked up to U+1FFFF), and the keys' own ASCII letters are lowercase.
FOLDED_KEYS = "replace(replace(keys, char(8490), 'k'), char(383), 's')"

# SQLite reads a CTE used once in place unless told; the keyword came in 3.35 (the
# trigram tokenizer in 3.34), and without it the pool's rows are only read more often.
MATERIALIZED = "MATERIALIZED " if sqlite3.sqlite_version_info >= (3, 35) else ""


# How many codes a misspelt code's runs of letters may lead to (see fuzzy_candidates).
FUZZY_RUN_BUDGET = 2000

# How many of the codes holding the most kept runs have their keys read and compared.
FUZZY_POOL = 8 * FUZZY_CANDIDATES


# When every word is that common, all are required in the strong fields (code, aliases,
# title, summary, messages).
STRONG_COLUMNS = "{code aliases title summary messages}"


PROSE_COLUMNS = "{summary messages description resolution}"


def _fts5_phrase(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _next_key(value: str) -> str:
    """The smallest string after every string starting with `value` (a range's end).

    Past U+D7FF comes U+E000 (surrogates cannot be stored), and a last U+10FFFF, after
    which no character comes, carries to the one before it."""
    while value:
        following = ord(value[-1]) + 1
        if following <= sys.maxunicode:
            return value[:-1] + chr(0xE000 if 0xD800 <= following <= 0xDFFF else following)
        value = value[:-1]
    return chr(sys.maxunicode)


class SQLiteEngine(Engine):
    """FTS5: bm25 over weighted columns, a trigram table for keys."""

    def __init__(self) -> None:
        # The counts of the key's trigrams word_stats() read or found held, for
        # key_candidates() to find the codes holding the key inside by its rarest.
        self._key_counts: KeyCounts | None = None

    def matches(
        self,
        plan: TextPlan,
        fuzzy: dict[int, float],
        base: tuple[str, Sequence[Any]],
        *,
        narrowed: bool = False,
        unfiltered: bool | None = None,  # FTS5 keeps no placing: the filters are joined
        cap: int,
    ) -> tuple[str, list]:
        # FTS5 cannot apply the filters, so it would read every match in the catalog
        # before the join drops those of other services (100 ms for `invalid` in one
        # service of 100,000 codes). The filtered codes' id range lets it seek instead:
        # a service's codes, imported together, lie in a narrow range (2 ms).
        within: tuple[str, list] = ("", [])
        if narrowed:
            within = (
                f" AND rowid BETWEEN (SELECT min(id) FROM ({base[0]}) lo)"
                f" AND (SELECT max(id) FROM ({base[0]}) hi)",
                [*base[1], *base[1]],
            )
        words = self.text_candidates(plan, within) if plan.match_terms else None
        keys = self.key_candidates(plan, within) if plan.matches_keys else []
        # The full-text match must stay the outer loop: at a million codes, with the
        # statistics of `status:409` (82,000 codes), SQLite read the status index first
        # and ran the full-text query once for each of them (minutes).
        return matches_of(words, keys, fuzzy, base, cap, join="CROSS JOIN")

    def word_stats(self, plan: TextPlan) -> tuple[dict[str, float], str]:
        # Counted by the full-text index itself, which stems each word (and a prefix:
        # "vers*" is "ver*") as it indexed it, and stops at COMMON_DOCS + 1: all that
        # matters is whether a word is common. fts5vocab would count all of a word's
        # codes, 8 ms for one in every code.
        counted = (
            "(SELECT count(*) FROM (SELECT 1 FROM errors_search_text "
            f"WHERE errors_search_text MATCH %s LIMIT {COMMON_DOCS + 1}))"
        )
        parts = [f"SELECT %s, {counted}" for _ in plan.terms]
        # A word counts with its synonyms: common if the group is (they widen the match
        # together).
        params: list = [
            param
            for term in plan.terms
            for param in (term, " OR ".join(_fts5_phrase(word) for word in plan.spellings(term)))
        ]
        for word in plan.compounds:  # words written as one (`todate`) in some code's prose
            parts.append(
                "SELECT %s, (SELECT count(*) FROM (SELECT 1 FROM errors_search_text "
                "WHERE errors_search_text MATCH %s LIMIT 1))"
            )
            params += [word, f"{PROSE_COLUMNS} : {_fts5_phrase(word)}"]
        if plan.prefix_last:
            # What the last word starts matters only when it is no word of the catalog
            # itself (a whole word is matched as it is): FTS5 merges the lists of every
            # word a prefix starts before the LIMIT applies (1 ms for `before*` at
            # 100,000 codes), so that count is left at 0 otherwise.
            parts.append(
                f"SELECT '{PREFIX_KEY}', CASE WHEN EXISTS (SELECT 1 FROM errors_search_text "
                f"WHERE errors_search_text MATCH %s) THEN 0 ELSE {counted} END"
            )
            last = " OR ".join(_fts5_phrase(word) for word in plan.spellings(plan.terms[-1]))
            params += [last, _fts5_phrase(plan.terms[-1]) + "*"]
        parts.append(
            f"SELECT '{CODE_KEY}', count(*) FROM (SELECT 1 FROM errors_errorcode "
            "WHERE code_key >= %s AND code_key < %s LIMIT 1)"
        )
        params += [plan.key, _next_key(plan.key)]
        parts.append(f"SELECT '{ALIAS_KEY}', {ALIAS_COUNT}")
        params.append(plan.key)
        if len(plan.key) >= CONTAINS_MIN:
            parts.append(
                f"SELECT '{INSIDE_KEY}', count(*) FROM (SELECT 1 FROM errors_search_keys "
                "WHERE errors_search_keys MATCH %s LIMIT 1)"
            )
            params.append(_fts5_phrase(plan.key))
            # The key's trigrams this worker has not counted under a version yet
            # (errors.search.trigram_counts), for finding the codes holding it inside.
            if plan.key.isascii():
                self._key_counts = KeyCounts(key_trigrams(plan.key))
            for gram in self._key_counts.uncounted if self._key_counts else ():
                parts.append(
                    "SELECT %s, (SELECT count(*) FROM (SELECT 1 FROM errors_search_keys "
                    f"WHERE errors_search_keys MATCH %s LIMIT {RARE_CAP + 1}))"
                )
                params += [TRIGRAM_MARK + gram, _fts5_phrase(gram)]
        parts.append(
            f"SELECT '{VERSION_KEY}', {CATALOG_VERSION} FROM errors_catalogstate WHERE id = 1"
        )
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            found = dict(cursor.fetchall())
        if self._key_counts:
            self._key_counts.read(str(found.get(VERSION_KEY, "none")), found)
        names = (*plan.terms, *plan.compounds, PREFIX_KEY, CODE_KEY, ALIAS_KEY, INSIDE_KEY)
        stats = {name: float(found.get(name) or 0) for name in names}
        if plan.terms:  # the last word's own count says whether it is a whole word
            stats[WORD_KEY] = stats[plan.terms[-1]]
        return stats, str(found.get(VERSION_KEY, "none"))

    def text_candidates(self, plan: TextPlan, within: tuple[str, list]) -> tuple[str, list]:
        phrases = [
            " OR ".join(_fts5_phrase(word) for word in plan.spellings(term))
            for term in plan.match_terms
        ]
        if plan.prefix_last:
            phrases[-1] = f"{phrases[-1]} OR {_fts5_phrase(plan.match_terms[-1])}*"
        phrases = [f"({phrase})" for phrase in phrases]
        if not plan.require_all and plan.compounds:
            # Words prose may write as one (toDate), looked for in prose only: a code
            # spelt as one word (NotFound) is the code tiers' to find.
            compounds = " OR ".join(_fts5_phrase(word) for word in plan.compounds)
            phrases.append(f"{PROSE_COLUMNS} : ({compounds})")
        expression = (" AND " if plan.require_all else " OR ").join(phrases)
        if plan.require_all:  # every word, in code, aliases, title, summary or messages
            expression = f"{STRONG_COLUMNS} : ({expression})"
        # bm25 costs 2 to 4 microseconds a match; when every word is required, all
        # matches hold them all in strong fields, so the code tiers and the shortest code
        # order them instead.
        rank = "1.0" if plan.require_all else f"-bm25(errors_search_text, {SQLITE_COLUMN_WEIGHTS})"
        return (
            f"SELECT rowid AS id, 0 AS tier, {rank} AS rank "
            f"FROM errors_search_text WHERE errors_search_text MATCH %s{within[0]}",
            [expression, *within[1]],
        )

    def key_candidates(self, plan: TextPlan, within: tuple[str, list]) -> list[tuple[str, list]]:
        """The kinds of key match, best tier first (as matches_of wants them)."""
        key, code_starts = plan.key, plan.code_starts
        long_key = len(key) >= CONTAINS_MIN
        exact = (
            f"SELECT id, {EXACT_CODE} AS tier, {NO_RANK} AS rank FROM errors_errorcode "
            "WHERE code_key = %s",
            [key],
        )
        # An alias spelt as the key, from the aliases' keys (their triggers lower ASCII
        # letters alone, as lower() does). A key with other letters is looked for as a
        # key after a space in the trigram index, which folds their case too, and
        # checked: keys are "code_key alias alias ...".
        alias, alias_wanted = exact_alias(key), plan.key_alias
        if not key.isascii():
            alias_wanted = long_key
            alias = (
                f"SELECT rowid AS id, {EXACT_ALIAS} AS tier, {NO_RANK} AS rank "
                "FROM errors_search_keys WHERE errors_search_keys MATCH %s "
                f"AND {self.contains(SPACED_KEYS)}{within[0]}",
                [_fts5_phrase(f" {key}"), f" {key} ", *within[1]],
            )
        prefix = (
            f"SELECT id, {CODE_PREFIX} AS tier, {NO_RANK} AS rank FROM errors_errorcode "
            "WHERE code_key > %s AND code_key < %s",
            [key, _next_key(key)],
        )
        # Inside a code or an alias, from the trigram index alone: telling an exact alias
        # apart by reading each match's keys cost three times as much (40 ms for the
        # 10,000 codes holding `notfound` at 100,000).
        inside = (
            f"SELECT rowid AS id, {KEY_CONTAINS} AS tier, {NO_RANK} AS rank "
            f"FROM errors_search_keys WHERE errors_search_keys MATCH %s{within[0]}",
            [_fts5_phrase(key), *within[1]],
        )
        rare = rarest(key, self._key_counts.counts) if self._key_counts else []
        if rare:
            # The codes holding its rarest trigrams, each checked to hold the key: the
            # same codes as the phrase's, without walking the lists of its common
            # trigrams. Keys hold ASCII letters in lowercase, as the key does; the two
            # other characters the tokenizer folds to ASCII letters are folded here too.
            inside = (
                f"SELECT rowid AS id, {KEY_CONTAINS} AS tier, {NO_RANK} AS rank "
                "FROM errors_search_keys WHERE errors_search_keys MATCH %s "
                f"AND instr({FOLDED_KEYS}, %s) > 0{within[0]}",
                [" AND ".join(_fts5_phrase(gram) for gram in rare), key, *within[1]],
            )
        kinds = [(exact, code_starts), (alias, alias_wanted), (prefix, code_starts)]
        return [kind for kind, wanted in [*kinds, (inside, long_key)] if wanted]

    def fuzzy_candidates(self, key: str) -> tuple[str, list]:
        # Codes sharing a 4- or 5-letter run with the key: one typo leaves such runs
        # intact, and they match far fewer codes than single trigrams would. Ranking
        # every code that holds any run (`eeded` of every `..._exceeded`) cost 22 ms at
        # 100,000 codes and grows with the catalog. Each run is counted up to
        # FUZZY_RUN_BUDGET codes; the rarest runs some code holds are kept while they
        # hold fewer codes together than that (the rarest always).
        size = 4 if len(key) < 10 else 5
        runs = {key[i : i + size] for i in range(0, len(key) - size + 1, size - 1)}
        grams = sorted(runs | {key[-size:]})
        counted = " UNION ALL ".join(
            "SELECT %s AS gram, (SELECT count(*) FROM (SELECT 1 FROM errors_search_keys "
            f"WHERE errors_search_keys MATCH %s LIMIT {FUZZY_RUN_BUDGET + 1})) AS n"
            for _ in grams
        )
        # The codes holding most of the kept runs, by id alone: reading each candidate's
        # keys cost 3 µs, 6 ms for the 2,000 of a run as common as `clust`. A run not
        # kept matches "_", which is shorter than a trigram and so matches no code; the
        # common runs count below, through their trigrams. Ties at FUZZY_POOL fall by
        # chance, as the cut at 4,000 candidates read had.
        kept_runs = " UNION ALL ".join(
            "SELECT * FROM (SELECT rowid FROM errors_search_keys WHERE errors_search_keys "
            "MATCH coalesce((SELECT gram FROM kept WHERE gram = %s AND before < "
            f"{FUZZY_RUN_BUDGET}), '\"_\"') LIMIT {FUZZY_RUN_BUDGET + 1})"
            for _ in grams
        )
        # Of those, the 50 sent on to trigram_similarity() are the most alike by an
        # estimate of it: the key's trigrams a key holds (those of its middle, and its
        # first letter, first two and last two, as padding makes them), over the
        # trigrams of both (a word has as many as letters and one). The estimate is of
        # the code's own key, and of its whole row of keys, the better of the two: an
        # alias holding the key's trigrams is spelt like it, but a short code holding a
        # long alias is not alike by the own key's length. Runs and lengths alone had
        # tied hundreds of codes (each `DATASET_LOCKED<n>` holds every run that
        # `DATASET_LOCKED` holds, and is as long as `datjasetlocked`), and the cut at
        # FUZZY_CANDIDATES fell among them by chance.
        trigrams = sorted({key[i : i + 3] for i in range(len(key) - 2)})
        edges = [" " + key[:1], " " + key[:2], key[-2:] + " "]

        def held(padded: str) -> str:
            # A key's letters never hold a space, so its trigrams and edges are found in
            # the row padded with one space each side as in the row itself.
            return "(" + " + ".join(f"(instr({padded}, %s) > 0)" for _ in trigrams + edges) + ")"

        # Held trigrams h of a key of l letters give h / (len(key) + l + 2 - h), which
        # orders as h / (len(key) + l + 2) does; so each count is written once. The own
        # key is counted apart only when the row has aliases. The pool's rows are read
        # from the index once, into `cand`, with their lengths and padding: an FTS5
        # column read in each of the 36 comparisons of 400 rows cost 0.6 ms of 4.5.
        own_padded = "' ' || substr(c.keys, 1, c.own) || ' '"
        alike = (
            f"max({held('c.padded')} * 1.0 / (%s + c.whole), coalesce(CASE WHEN c.whole > c.own "
            f"THEN {held(own_padded)} * 1.0 / (%s + c.own) END, 0))"
        )
        return (
            f"WITH g AS ({counted}), "
            "kept AS (SELECT gram, sum(n) OVER (ORDER BY n, gram) - n AS before FROM g "
            "WHERE n > 0), "
            f"pool AS (SELECT rowid AS id FROM ({kept_runs}) GROUP BY rowid "
            f"ORDER BY count(*) DESC LIMIT {FUZZY_POOL}), "
            f"cand AS {MATERIALIZED}(SELECT k.rowid AS id, k.keys AS keys, "
            "' ' || k.keys || ' ' AS padded, length(rtrim(k.keys)) AS whole, "
            "instr(k.keys || ' ', ' ') - 1 AS own "
            "FROM pool JOIN errors_search_keys k ON k.rowid = pool.id) "
            f"SELECT c.id, c.keys FROM cand c ORDER BY {alike} DESC, c.own LIMIT %s",
            [
                *(param for gram in grams for param in (_fts5_phrase(gram), _fts5_phrase(gram))),
                *(_fts5_phrase(gram) for gram in grams),
                *trigrams,
                *edges,
                len(key) + 2,
                *trigrams,
                *edges,
                len(key) + 2,
                FUZZY_CANDIDATES,
            ],
        )

    def contains(self, haystack: str) -> str:
        return f"instr({haystack}, %s) > 0"

    def key_holders(self, key: str) -> tuple[str, list]:
        if key.isascii():
            return super().key_holders(key)
        # SQLite's lower() in the index triggers folds ASCII letters alone: a key with
        # others is looked for in the trigram index, which folds their case too. An
        # alias's key follows a space in keys ("code_key alias alias"): the phrase " key"
        # is a trigram or more for keys of two letters or more; the caller keeps the rows
        # whose alias keys, worked out in Python, are the key. A one-letter key is looked
        # for in every row of the keys table.
        if len(key) > 1:
            aliases = "SELECT rowid FROM errors_search_keys WHERE errors_search_keys MATCH %s"
            params = [_fts5_phrase(f" {key}")]
        else:
            aliases = f"SELECT rowid FROM errors_search_keys WHERE {self.contains(SPACED_KEYS)}"
            params = [f" {key} "]
        return f"SELECT id FROM errors_errorcode WHERE code_key = %s UNION {aliases}", [
            key,
            *params,
        ]
