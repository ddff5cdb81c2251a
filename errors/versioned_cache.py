"""Values kept in each worker's memory for as long as the catalog version they were built
under holds (search's word statistics, replayed API answers; identify's matchers are
kept per service, errors.matchers.MatcherCache, and the entries identify answers with,
errors.entry_cache, register here too).

The version is read from the database on every request (errors.catalog_version), so a
value built before a write is never served after it, on any app server. Every such cache
registers here, so that tests, whose rolled-back writes can bring a version back, clear
them all with one call.

`VersionedCache` holds one value built per version (the word statistics, the matchers);
`VersionedLru` holds many by key, within bounds (the API's replayed answers, identify's
entries).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


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


class VersionedLru(Generic[K, V]):
    """Values by key, all of one catalog version, the least recently used dropped first
    past `max_items` values or `max_size` (the sum of `size_of` each value held).

    A value put under another version than the one held drops every value held: a caller
    puts what it read after reading the version, so what is held is never older than it.
    """

    def __init__(
        self,
        max_items: int,
        max_size: int | None = None,
        size_of: Callable[[V], int] = lambda _: 0,
    ) -> None:
        self.max_items = max_items
        self.max_size = max_size
        self._size_of = size_of
        self.version = ""
        self.values: OrderedDict[K, V] = OrderedDict()
        self.size = 0
        self._lock = threading.Lock()
        register(self)

    def get_many(self, version: str, keys: Iterable[K]) -> dict[K, V]:
        """The values held for `keys` under `version`, each now the most recently used."""
        with self._lock:
            if version != self.version:
                return {}
            found: dict[K, V] = {}
            for key in keys:
                value = self.values.get(key)
                if value is not None:
                    self.values.move_to_end(key)
                    found[key] = value
            return found

    def get(self, version: str, key: K) -> V | None:
        """The value held for `key` under `version`, if any."""
        return self.get_many(version, (key,)).get(key)

    def put_many(self, version: str, items: Mapping[K, V]) -> None:
        """Hold `items`, read under `version`, as the most recently used."""
        with self._lock:
            if version != self.version:
                self._forget(version)
            for key, value in items.items():
                old = self.values.pop(key, None)
                if old is not None:
                    self.size -= self._size_of(old)
                self.values[key] = value
                self.size += self._size_of(value)
            while len(self.values) > self.max_items or (
                self.max_size is not None and self.size > self.max_size
            ):
                _, dropped = self.values.popitem(last=False)
                self.size -= self._size_of(dropped)

    def put(self, version: str, key: K, value: V) -> None:
        """Hold `value` for `key`, read under `version`."""
        self.put_many(version, {key: value})

    def clear(self) -> None:
        """Forget every value held."""
        with self._lock:
            self._forget("")

    def _forget(self, version: str) -> None:
        self.version = version
        self.values.clear()
        self.size = 0
