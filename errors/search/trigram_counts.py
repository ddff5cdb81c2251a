"""How many codes' keys hold each trigram, kept in each worker under the catalog version,
for both engines' search of the codes holding a key inside another (`notfound` inside
`invoice_not_found`).

The trigram index finds a key inside others by all its trigrams (SQLite's FTS5 phrase,
PostgreSQL's `LIKE '%key%'` over pg_trgm): for `webhook_limit_exceeded` that walks the
lists of 18 trigrams, some held by ten thousand codes (`eed`), 4-7 ms on SQLite at
100,000 codes, for 200 holders. The codes holding the key's two rarest trigrams, each
checked to hold the key, are the same codes in 0.2 ms. Which
trigrams are rarest is read once (each counted up to RARE_CAP + 1, in the statement that
counts the words) and kept: the counts steer how the holders are found, never which are
found, so counts from before a write would only cost time; they are dropped when the
version moves all the same, so that a catalog that grew is not searched by counts of
the one it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from errors.versioned_cache import register

# A trigram held by more codes than this is common: when even the key's rarest is, its
# holders are found by the phrase (checking each of thousands of candidates would cost
# more than the phrase).
RARE_CAP = 500

# What word_stats() reads a trigram's count under: the trigram after this mark.
TRIGRAM_MARK = "#trigram:"

# Distinct trigrams kept at most: queries may bring any, the catalog's keys far fewer.
MAX_TRIGRAMS = 50_000


def key_trigrams(key: str) -> list[str]:
    """The distinct trigrams of `key`, in order."""
    return sorted({key[i : i + 3] for i in range(len(key) - 2)})


class TrigramCounts:
    """Trigram -> codes holding it (up to RARE_CAP + 1), under one catalog version."""

    def __init__(self) -> None:
        # Replaced whole when the version moves; added to in place under one version.
        self._held: tuple[str, dict[str, int]] | None = None
        register(self)

    def known(self) -> dict[str, int]:
        """The counts held, under whichever version they were read (the caller reads the
        version with the counts it lacks, and `update` drops these if it moved)."""
        held = self._held
        return held[1] if held else {}

    def update(self, version: str, counted: dict[str, int]) -> None:
        """Keep `counted`, read under `version`, with those held under the same version."""
        held = self._held
        if held is not None and held[0] == version and len(held[1]) < MAX_TRIGRAMS:
            held[1].update(counted)  # one update, atomic for other threads' lookups
        else:
            self._held = (version, dict(counted))

    def clear(self) -> None:
        """Forget the counts."""
        self._held = None


class KeyCounts:
    """One search's counts of its key's trigrams (`grams`, those the engine's index
    holds): those this worker holds, and those its word statistics read with them."""

    def __init__(self, grams: list[str]) -> None:
        known = trigram_counts.known()
        self.counts = {gram: known[gram] for gram in grams if gram in known}
        self.uncounted = [gram for gram in grams if gram not in known]

    def read(self, version: str, found: Mapping[str, Any]) -> None:
        """Take the counts of `uncounted` from the statement's `found` (each under
        TRIGRAM_MARK + trigram), read under `version`; under another version than those
        held, they replace them (those used here only cost time if stale: a search after
        a write plans again)."""
        read = {gram: int(found.get(TRIGRAM_MARK + gram) or 0) for gram in self.uncounted}
        trigram_counts.update(version, read)
        self.counts.update(read)


def rarest(key: str, counts: dict[str, int]) -> list[str]:
    """The key's two rarest trigrams when the rarest is held by at most RARE_CAP codes
    (the codes holding the key hold both), else none: the phrase is the better way."""
    counted = sorted((counts[gram], gram) for gram in key_trigrams(key) if gram in counts)
    if not counted or counted[0][0] > RARE_CAP:
        return []
    return [gram for _, gram in counted[:2]]


trigram_counts = TrigramCounts()
