"""The full-text index behind the search, kept in step by database triggers.

Triggers, not Python signals, keep the index right: the catalog importer writes with
`bulk_create`/`bulk_update` and deletes with querysets, none of which send signals.

- SQLite: two FTS5 tables keyed by the error code's id (their rowid):
  `errors_search_text` (porter-stemmed words, one column per field, examples included)
  and `errors_search_keys` (trigram-tokenised code and alias keys, for substrings and
  misspellings).
- PostgreSQL: `errors_search` (error_id, keys, strong, document) with a weighted
  `tsvector` (A: code/aliases/title, B: summary/messages, C: description/resolution,
  D: examples) under a GIN index, `strong` (A and B only) under another, and a pg_trgm
  GIN index over the keys.

The migrations install the index with the SQL they carry (0004, 0006); a change to the
index is a new migration. Only one repair is left to live code: a migration that rebuilds
`errors_errorcode` on SQLite (any AlterField does) drops its triggers with the old table,
so `ensure_search_index` runs after every `migrate` and puts them back from
errors/search/sqlite.py, re-indexing if they were gone. PostgreSQL keeps triggers
through such changes.
"""

from __future__ import annotations

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

from errors.search.sqlite import (
    SQLITE_INDEXES,
    SQLITE_REBUILD,
    SQLITE_TABLES,
    SQLITE_TRIGGERS,
)


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install_search_index(connection: BaseDatabaseWrapper = default_connection) -> None:
    """SQLite: create the index tables and triggers (idempotent) and index every code."""
    _run(connection, [*SQLITE_TABLES, *SQLITE_TRIGGERS.values(), *SQLITE_REBUILD])


def ensure_search_index(connection: BaseDatabaseWrapper = default_connection) -> bool:
    """Put back triggers and the index a table rebuild dropped, re-indexing; True if
    it had to."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master "
            "WHERE type IN ('trigger', 'index') AND name LIKE %s",
            ["errors_search_%"],
        )
        (present,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'errors_search_text'")
        (tables,) = cursor.fetchone()
    if not tables or present == len(SQLITE_TRIGGERS) + SQLITE_INDEXES:
        return False
    install_search_index(connection)
    return True
