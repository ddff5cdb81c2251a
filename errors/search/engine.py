"""What every database engine of the search provides (`Engine`), and the SQL they share:
the tiers that rank an exact code above an alias, a prefix, a key inside, a misspelling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from errors.search.plan import TextPlan

# The fields written into the index: an UPDATE touching none of them leaves it alone.
INDEXED_COLUMNS = "code, code_key, aliases, title, summary, messages, description, resolution"


# Ranks of the code tiers; full-text relevance adds less than 100 on top.
EXACT_CODE, EXACT_ALIAS, CODE_PREFIX, KEY_CONTAINS, FUZZY_CODE = 1000, 900, 700, 400, 300


# The rank of a match that no words ranked, as a float: PostgreSQL takes `0.0` for a
# numeric, and sorting and grouping a thousand matches of the code tiers by numeric
# arithmetic cost 0.2-0.6 ms more.
NO_RANK = "CAST(0 AS float)"


# What search reads of each match, taken from the filters' SELECT (`base`) as each kind is
# joined to it: reading them again by id cost a lookup a match.
MATCH_COLUMNS = 'id, code_key, "order", service_id, http_status'


SPACED_KEYS = "' ' || keys || ' '"


# The key of each alias of each code (migration 0020), under a b-tree: the codes an alias
# names are one read away, where the trigram index of the keys read the codes holding each
# of the key's common trigrams first (up to 2.7 ms on PostgreSQL and 3.5 ms on SQLite at
# 100,000 codes for a key no alias has). SQLite looks up only keys spelt in ASCII there.
ALIAS_KEYS = "errors_search_aliases"


# Whether an alias is spelt as the key (the parameter), for word_stats(): 0 or 1.
ALIAS_COUNT = f"(SELECT count(*) FROM (SELECT 1 FROM {ALIAS_KEYS} WHERE key = %s LIMIT 1) a)"


def exact_alias(key: str) -> Source:
    """The kind of match of the codes with an alias spelt as `key` (as matches_of wants)."""
    return (
        f"SELECT error_id AS id, {EXACT_ALIAS} AS tier, {NO_RANK} AS rank FROM {ALIAS_KEYS} "
        "WHERE key = %s",
        [key],
    )


# The catalog version as errors.catalog_version spells it, read by word_stats() in the
# statement that counts the words, and the name it is read under there.
CATALOG_VERSION = "epoch || '-' || version"
VERSION_KEY = "*version"


class Engine:
    """The SQL one database vendor needs; `search_errors` composes it."""

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
        """SELECT of the matching codes that `base` (the filters) lets through: id,
        code_key, order, service_id, http_status, code tier and full-text rank.
        `narrowed`: the filters keep codes of one service (or one of its categories),
        whose ids lie close together. `unfiltered`: no filter but who may see what,
        and whether drafts are seen (None when a filter applies): an engine whose index
        keeps the codes' placing may read a match's columns from it, not from `base`.
        `cap`: the engine may stop reading each kind of match (words, code prefix, key
        inside, ...) after that many, keeping the best of its kind: the search ranks only
        the first `cap` by tier."""
        raise NotImplementedError

    def word_stats(self, plan: TextPlan) -> tuple[dict[str, float], str]:
        """How many codes hold each word (estimated where the database only estimates),
        under PREFIX_KEY those its last word starts (0 may stand for "not counted" when
        the last word is itself a word of the catalog, and so is matched whole), and
        under CODE_KEY whether some code starts with the key; and the catalog version
        they were counted under: one query."""
        raise NotImplementedError

    def fuzzy_candidates(self, key: str) -> tuple[str, list]:
        """(id, keys) of up to FUZZY_CANDIDATES codes spelt a little like `key`."""
        raise NotImplementedError

    def contains(self, haystack: str) -> str:
        """SQL true when `haystack` holds the parameter that follows."""
        raise NotImplementedError

    def key_holders(self, key: str) -> tuple[str, list]:
        """SELECT of the ids of the codes whose own key or one of whose aliases' keys is
        `key`: the code-key index and the aliases' keys, never a read of every code."""
        return (
            "SELECT id FROM errors_errorcode WHERE code_key = %s "
            f"UNION SELECT error_id FROM {ALIAS_KEYS} WHERE key = %s",
            [key, key],
        )


Source = tuple[str, list]


@dataclass(frozen=True)
class Placed:
    """A kind of match whose rows already say all that search reads of a code
    (MATCH_COLUMNS, then tier and rank) and hold only the codes the filters let through:
    read as it is, not joined to the filters' query code by code."""

    sql: str
    params: list


@dataclass(frozen=True)
class OnCodes:
    """A kind of match that is a condition on the filtered codes' own columns (`f.code_key
    = %s`), read with the filters in one scan of the codes, where a Source's ids are each
    joined to the filters by an index probe (migration 0021 has the figures)."""

    tier: int
    where: str
    params: list


def matches_of(
    words: Source | Placed | None,
    keys: Sequence[Source | OnCodes | Placed],
    fuzzy: dict[int, float],
    base: tuple[str, Sequence[Any]],
    cap: int,
    *,
    join: str = "JOIN",
) -> tuple[str, list]:
    """MATCH_COLUMNS, tier and rank of the codes the words, the keys and the
    misspellings match among those the filters (`base`) let through: at most `cap` of
    each kind of match.

    `words` and each of `keys` (best tier first: exact code, exact alias, code prefix,
    key inside) is a SELECT of (id, tier, rank) for one kind of match. Each stops at
    `cap` filtered matches: reading all 10,200 codes that hold `notfound` and grouping
    them with the 10,200 that say "not found" cost 18 ms on SQLite and 45 ms on
    PostgreSQL at 100,000 codes, for a search that ranks the first `cap` by tier
    anyway. A kind's first matches are as good as its others, as far as tiers go: each
    has one tier (the misspellings, of several, are ten codes at most). A kind of key
    is read only when the better kinds found fewer than `cap` codes: past that it could
    not be among the first `cap` (the key inside a code is the costliest read, 12-18 ms
    on PostgreSQL at a million codes). The words and the misspellings, whose tiers are
    no higher than any key's, likewise only when the keys found fewer than `cap` codes:
    past that, the cut by tier keeps none of the codes they alone match, and the rank
    they would add to codes matched both ways came from whichever `cap` codes of each
    kind the database read first (4-5 ms of the 9-10 of `status:409 conflict` on
    PostgreSQL at 100,000 codes). A code matched several ways keeps its best tier and
    rank. `join` joins each kind to the filters (SQLite's CROSS JOIN keeps the kind the
    outer loop).
    """

    def capped(kind: Source | OnCodes | Placed, unless: str = "") -> Source:
        gate = f"(SELECT 1 AS open WHERE {unless}) gate CROSS JOIN " if unless else ""
        if isinstance(kind, Placed):
            return f"SELECT s.* FROM {gate}({kind.sql}) s LIMIT {int(cap)}", [*kind.params]
        if isinstance(kind, OnCodes):
            conditions = " AND ".join([f"({kind.where})", *([unless] if unless else [])])
            sql = (
                'SELECT f.id AS id, f.code_key, f."order", f.service_id, f.http_status, '
                f"{int(kind.tier)} AS tier, {NO_RANK} AS rank FROM ({base[0]}) f "
                f"WHERE {conditions}"
            )
            return f"{sql} LIMIT {int(cap)}", [*base[1], *kind.params]
        # A kind read from an index is read after its condition, a gate of its own: an
        # engine may start an index read before it looks at a condition on the rows
        # (SQLite's full-text tables: 0.4-0.6 ms of `not found` at 100,000 codes).
        sql = (
            'SELECT s.id AS id, f.code_key, f."order", f.service_id, f.http_status, '
            f"s.tier AS tier, s.rank AS rank FROM {gate}({kind[0]}) s {join} ({base[0]}) f "
            "ON f.id = s.id"
        )
        return f"{sql} LIMIT {int(cap)}", [*kind[1], *base[1]]

    def fewer_than_cap(kinds: int) -> str:
        """SQL true while the first `kinds` kinds of key found fewer than `cap` codes."""
        if not kinds:
            return ""
        found = " UNION ALL ".join(f"SELECT id FROM k{index}" for index in range(kinds))
        return f"(SELECT count(DISTINCT id) FROM ({found}) found) < {int(cap)}"

    tables: list[str] = []
    params: list = []
    for number, kind in enumerate(keys):
        part, part_params = capped(kind, fewer_than_cap(number))
        tables.append(f"k{number} AS ({part})")
        params += part_params
    others = [words] if words else []
    if fuzzy:
        ids = ", ".join(str(int(pk)) for pk in fuzzy)
        others.append(
            (
                f"SELECT id, {_fuzzy_tier('id', fuzzy)} AS tier, {NO_RANK} AS rank "
                f"FROM errors_errorcode WHERE id IN ({ids})",
                [],
            )
        )
    parts = [f"SELECT * FROM k{number}" for number in range(len(keys))]
    for number, other in enumerate(others):
        part, part_params = capped(other, fewer_than_cap(len(keys)))
        parts.append(f"SELECT * FROM ({part}) o{number}")
        params += part_params
    if not parts:
        parts = [
            f"SELECT {MATCH_COLUMNS}, 0 AS tier, {NO_RANK} AS rank "
            "FROM errors_errorcode WHERE 1 = 0"
        ]
    union = " UNION ALL ".join(parts)
    if len(parts) > 1:
        # A code's columns are the same in each kind that matched it: grouped by with it.
        union = (
            f"SELECT {MATCH_COLUMNS}, max(tier) AS tier, max(rank) AS rank "
            f"FROM ({union}) every_match GROUP BY {MATCH_COLUMNS}"
        )
    with_tables = f"WITH {', '.join(tables)} " if tables else ""
    return (
        f"{with_tables}SELECT {MATCH_COLUMNS}, tier, rank FROM ({union}) m",
        params,
    )


def _fuzzy_tier(column: str, fuzzy: dict[int, float]) -> str:
    whens = " ".join(
        f"WHEN {int(pk)} THEN {FUZZY_CODE + 100 * similarity:.3f}"
        for pk, similarity in fuzzy.items()
    )
    return f"CASE {column} {whens} ELSE 0 END"
