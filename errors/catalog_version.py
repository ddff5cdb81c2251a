"""The catalog's version, for caches that must notice every change at once.

Triggers in the database bump `CatalogState.version` inside the transaction of every write
to the catalog tables: admin edits, imports, queryset updates, writes made by any app
server. PostgreSQL bumps once per statement (a bulk insert of 100,000 rows is one bump);
SQLite has only row triggers, which update one row in place.

Reading it costs one primary-key lookup, so every request can afford it, and a cache
keyed by it is stale on every server the moment a write commits.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from psycopg.pq import ExecStatus

QUERY = "SELECT epoch, version FROM errors_catalogstate WHERE id = 1"
# Held by a writer until it commits: what imports take first to run one at a time.
LOCK = "SELECT 1 FROM errors_catalogstate WHERE id = 1 FOR UPDATE"


def catalog_version() -> str:
    """A short string that changes whenever the catalog does.

    Read first thing in a request, it is also the request's connection health check
    (CONN_HEALTH_CHECKS): rather than Django's `SELECT 1` round trip before it, which
    doubled the cost of a cached API answer, a persistent connection that died since the
    last request fails this read, is replaced, and the read is made again.
    """
    connection = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` costs a lookup a use
    if _health_check_pending(connection):
        connection.health_check_done = True  # type: ignore[attr-defined]  # this read is the check
        try:
            return _read(connection)
        except (OperationalError, InterfaceError):
            connection.close()
    return _read(connection)


def _health_check_pending(connection: Any) -> bool:
    """True when Django would check the reused connection before its next query."""
    return (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    )


def _read(connection: Any) -> str:
    row: Any = None
    if connection.vendor == "postgresql" and not connection.queries_logged:
        # Django's cursor wrappers cost more CPU than this one-row read itself (about
        # 75 of 120 microseconds), on a path where that is most of an API answer's cost.
        connection.ensure_connection()
        with connection.wrap_database_errors:
            row = _prepared_read(connection)
            if row is None:
                row = connection.connection.execute(QUERY).fetchone()
    else:
        with connection.cursor() as cursor:
            cursor.execute(QUERY)
            row = cursor.fetchone()
    return f"{row[0]}-{row[1]}" if row else "none"


# The read as a statement prepared once per PostgreSQL connection, run through libpq
# itself (psycopg's `Connection.pgconn`, documented for commands psycopg does not wrap).
# psycopg's cursor and the server's parsing and planning of the one-row read took about
# 30 + 30 microseconds of CPU a read; the prepared statement 6 + 11. At saturation that
# was the lookup API's whole distance from a static file: 0.74 of it, 1.03 with no read.
STATEMENT = b"portal_catalog_version"


def _prepared_read(connection: Any) -> tuple[str, str] | tuple[()] | None:
    """The version row (epoch, version) by the prepared statement; () for no row; None
    where the statement cannot be used, for the caller's cursor to read it, which raises
    what went wrong if anything did.

    Only outside transactions: psycopg opens one itself at its first statement (Django's
    atomic blocks, a connection not in autocommit), which a statement sent past it would
    not be part of. A connection whose server refuses the statement (a pooler that
    moves connections between transactions, say) reads with the cursor from then on;
    a new connection prepares it again.
    """
    if connection.in_atomic_block or not connection.autocommit:
        return None
    pgconn = connection.connection.pgconn
    state = getattr(connection, "portal_version_statement", None)
    if state is None or state[0] is not pgconn:
        prepared = pgconn.prepare(STATEMENT, QUERY.encode())
        state = (pgconn, prepared.status == ExecStatus.COMMAND_OK)
        connection.portal_version_statement = state
    if not state[1]:
        return None
    result = pgconn.exec_prepared(STATEMENT, None)
    if result.status != ExecStatus.TUPLES_OK:
        connection.portal_version_statement = (pgconn, False)
        return None
    if not result.ntuples:
        return ()
    epoch, version = result.get_value(0, 0), result.get_value(0, 1)
    return (bytes(epoch or b"").decode(), bytes(version or b"").decode())


# --------------------------------------------------------------------------- triggers


CATALOG_TABLES = (
    "errors_service",
    "errors_category",
    "errors_errorcode",
    "errors_example",
    "errors_guide",
)
BUMP = "UPDATE errors_catalogstate SET version = version + 1 WHERE id = 1"


def _sqlite_statements() -> list[str]:
    statements = []
    for table in CATALOG_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_catalog_version_{event.lower()} "
                f"AFTER {event} ON {table} BEGIN {BUMP}; END"
            )
    return statements


def _postgresql_statements() -> list[str]:
    statements = [
        "CREATE OR REPLACE FUNCTION errors_bump_catalog_version() RETURNS trigger AS $$ "
        f"BEGIN {BUMP}; RETURN NULL; END; $$ LANGUAGE plpgsql"
    ]
    for table in CATALOG_TABLES:
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_catalog_version ON {table}",
            f"CREATE TRIGGER {table}_catalog_version AFTER INSERT OR UPDATE OR DELETE OR "
            f"TRUNCATE ON {table} FOR EACH STATEMENT "
            "EXECUTE FUNCTION errors_bump_catalog_version()",
        ]
    return statements


def ensure_catalog_state(connection: Any) -> None:
    """Create the state row and the triggers where they are missing (idempotent)."""
    statements = (
        _postgresql_statements() if connection.vendor == "postgresql" else _sqlite_statements()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO errors_catalogstate (id, epoch, version) SELECT 1, %s, 0 "
            "WHERE NOT EXISTS (SELECT 1 FROM errors_catalogstate WHERE id = 1)",
            [uuid.uuid4().hex],
        )
        for statement in statements:
            cursor.execute(statement)
