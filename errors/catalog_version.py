"""The catalog's version, for caches that must notice every change at once.

Triggers in the database bump `CatalogState.version` inside the transaction of every write
to the catalog tables (errors/catalog_state.py): admin edits, imports, queryset updates,
writes made by any app server. Reading it costs one primary-key lookup, so every request
can afford it, and a cache keyed by it is stale on every server the moment a write
commits.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

QUERY = "SELECT epoch, version FROM errors_catalogstate WHERE id = 1"


def catalog_version() -> str:
    """A short string that changes whenever the catalog does.

    Read first thing in a request, it is also the request's connection health check
    (CONN_HEALTH_CHECKS): rather than Django's `SELECT 1` round trip before it, which
    doubled the cost of a cached API answer, a persistent connection that died since the
    last request fails this read, is replaced, and the read is made again.
    """
    connection = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` costs a lookup a use
    if _health_check_pending(connection):
        connection.health_check_done = True  # this read is the check
        try:
            return _read(connection)
        except (OperationalError, InterfaceError):
            connection.close()
    return _read(connection)


def _health_check_pending(connection) -> bool:
    """True when Django would check the reused connection before its next query."""
    return (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    )


def _read(connection) -> str:
    if connection.vendor == "postgresql" and not connection.queries_logged:
        # Django's cursor wrappers cost more CPU than this one-row read itself (about
        # 75 of 120 microseconds), on a path where that is most of an API answer's cost.
        connection.ensure_connection()
        with connection.wrap_database_errors:
            row = connection.connection.execute(QUERY).fetchone()
    else:
        with connection.cursor() as cursor:
            cursor.execute(QUERY)
            row = cursor.fetchone()
    return f"{row[0]}-{row[1]}" if row else "none"
