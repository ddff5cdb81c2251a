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
- Both: `errors_search_aliases` (key, error_id), the key of each alias under a b-tree.

The migrations install the index with the SQL they carry (0004, 0006, 0020); a change to
the index is a new migration. Only one repair is left to live code: a migration that
rebuilds `errors_errorcode` on SQLite (any AlterField does) drops its triggers with the
old table, so `ensure_search_index` runs after every `migrate` and puts back those of the
parts whose migration has run, from errors/search/sqlite_index.py, re-indexing a part whose
triggers were gone. PostgreSQL keeps triggers through such changes.
"""

from __future__ import annotations

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

from errors.search.sqlite_index import SQLITE_INDEX_PARTS


def ensure_search_index(connection: BaseDatabaseWrapper = default_connection) -> bool:
    """Put back the triggers and indexes a table rebuild dropped, of each part of the
    index whose migration has run (its table is there), re-indexing that part; True if
    it had to."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master")
        present = {name for (name,) in cursor.fetchall()}
        repaired = False
        for part in SQLITE_INDEX_PARTS:
            if part.table in present and not part.names <= present:
                for statement in part.statements:
                    cursor.execute(statement)
                repaired = True
    return repaired
