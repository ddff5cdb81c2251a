"""Values kept in each worker's memory for as long as the catalog version they were built
under holds (search's word statistics, replayed API answers; identify's matchers are
kept per service, errors.matchers.MatcherCache, and the entries identify answers with,
errors.entry_cache, register here too).

The version is read from the database on every request (errors.catalog_version), so a
value built before a write is never served after it, on any app server. Every such cache
registers here, so that tests, whose rolled-back writes can bring a version back, clear
them all with one call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class Clearable(Protocol):
    """Anything that can forget what it holds."""

    def clear(self) -> None: ...


_registered: list[Clearable] = []


def register(cache: Clearable) -> None:
    """Include `cache` in `clear_all()`."""
    _registered.append(cache)


def clear_all() -> None:
    """Forget every value held in this process (tests)."""
    for cache in _registered:
        cache.clear()


class VersionedCache(Generic[T]):
    """One value per process, built on first use under each version.

    One thread builds while the others wait for its result, rather than all reading the
    catalog at once (a build can take a second at 100,000 codes).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # One tuple, replaced whole: a reader never pairs one version with another's value.
        self._held: tuple[str, T] | None = None
        register(self)

    def get(self, version: str, build: Callable[[], T]) -> T:
        """The value built under `version`, building it if this process has not yet."""
        held = self._held
        if held is not None and held[0] == version:
            return held[1]
        with self._lock:
            held = self._held
            if held is None or held[0] != version:
                held = (version, build())
                self._held = held
            return held[1]

    def held(self) -> tuple[str, T] | None:
        """The version and value held now, if any, without asking for a version: for a
        caller that learns the current version later and checks it then."""
        return self._held

    def clear(self) -> None:
        """Forget the value."""
        with self._lock:
            self._held = None
