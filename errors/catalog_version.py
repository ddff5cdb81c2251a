"""The catalog's version, for caches that must notice every change at once.

Triggers in the database bump `CatalogState.version` inside the transaction of every write
to the catalog tables (errors/catalog_state.py): admin edits, imports, queryset updates,
writes made by any app server. Reading it costs one primary-key lookup, so every request
can afford it, and a cache keyed by it is stale on every server the moment a write
commits.
"""

from __future__ import annotations

from django.db import connection


def catalog_version() -> str:
    """A short string that changes whenever the catalog does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT epoch, version FROM errors_catalogstate WHERE id = 1")
        row = cursor.fetchone()
    return f"{row[0]}-{row[1]}" if row else "none"
