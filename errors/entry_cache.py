"""The entries identify answers with, kept in each worker for the catalog version.

A log pipeline asks about the same kinds of error all day, and each answer names up to
ten entries. Reading them (the entry with its service, category and replacement: a
four-table join, then thirty model instances) took 1 ms of a 3 ms call on SQLite at
100,000 codes and 2.4 ms on PostgreSQL, for entries read a moment before. Here the
entries read are kept, least recently used dropped first past `MAX_ENTRIES`, for as long
as the catalog version they were read under holds: every write bumps it
(errors.catalog_version), so an entry is never served after a change to the catalog, on
any app server.

The entries are shared between calls and threads: callers read them, and never change
them (nor read a field `for_entries` leaves out, which Django would load and set on the
shared instance). They are read from the database the version is read from, never a
replica that may lag behind it.

Like every cache keyed by the version, this one assumes the version it was read under
was committed: code that writes to the catalog, identifies in the same transaction and
then rolls back would leave entries under a version the next write takes again (no path
of the portal does; tests clear the caches between them).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import DEFAULT_DB_ALIAS

from errors.models import ErrorCode
from errors.querysets import can_see_drafts
from errors.versioned_cache import VersionedLru

# About 2-3 KB an entry with its service and category (its resolution is most of it):
# some 12 MB a worker.
MAX_ENTRIES = 4096


class EntryCache:
    """Entries by primary key, read with what an API entry shows (`for_entries`)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._held: VersionedLru[int, ErrorCode] = VersionedLru(max_entries)

    def entries(self, version: str, pks: Collection[int], user: Any) -> dict[int, ErrorCode]:
        """The entries of `pks` that `user` may see (staff see drafts), under the catalog
        `version` read before: those not held are read in one query."""
        held = self._held.get_many(version, pks)
        missing = [pk for pk in pks if pk not in held]
        if missing:
            read = ErrorCode.objects.using(DEFAULT_DB_ALIAS).for_entries().in_bulk(missing)
            self._held.put_many(version, read)  # read after `version`: at least as new
            held.update(read)
        if can_see_drafts(user):
            return held
        return {pk: entry for pk, entry in held.items() if entry.published}


_entries = EntryCache()


def entries(version: str, pks: Collection[int], user: Any = None) -> dict[int, ErrorCode]:
    """The entries of `pks` that `user` may see, under the catalog `version`."""
    return _entries.entries(version, pks, user)
