"""What every database engine of the search provides (`Engine`), and the SQL they share:
the tiers that rank an exact code above an alias, a prefix, a key inside, a misspelling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from errors.search.plan import TextPlan

# The fields written into the index: an UPDATE touching none of them leaves it alone.
INDEXED_COLUMNS = "code, code_key, aliases, title, summary, messages, description, resolution"


# Ranks of the code tiers; full-text relevance adds less than 100 on top.
EXACT_CODE, EXACT_ALIAS, CODE_PREFIX, KEY_CONTAINS, FUZZY_CODE = 1000, 900, 700, 400, 300


MATCH_COLUMNS = 'b.id, b.code_key, b."order", b.service_id, b.http_status'


SPACED_KEYS = "' ' || keys || ' '"


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
    ) -> tuple[str, list]:
        """SELECT of the matching codes that `base` (the filters) lets through: id,
        code_key, order, service_id, http_status, code tier and full-text rank.
        `narrowed`: the filters keep codes of one service (or one of its categories),
        whose ids lie close together."""
        raise NotImplementedError

    def word_stats(self, plan: TextPlan) -> tuple[dict[str, float], str]:
        """How many codes hold each word (estimated where the database only estimates),
        under PREFIX_KEY those its last word starts, and under CODE_KEY whether some code
        starts with the key; and the catalog version they were counted under: one
        query."""
        raise NotImplementedError

    def fuzzy_candidates(self, key: str) -> tuple[str, list]:
        """(id, keys) of up to FUZZY_CANDIDATES codes spelt a little like `key`."""
        raise NotImplementedError

    def contains(self, haystack: str) -> str:
        """SQL true when `haystack` holds the parameter that follows."""
        raise NotImplementedError

    def key_holders(self, key: str) -> tuple[str, list]:
        """SELECT of the ids of the codes whose own key or one of whose aliases' keys is
        `key`: the code-key index and the keys index, never a read of every code."""
        raise NotImplementedError


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
