"""The catalog's version, for caches that must notice every change at once.

Triggers in the database bump `CatalogState.version` inside the transaction of every write
to the catalog tables: admin edits, imports, queryset updates, writes made by any app
server. PostgreSQL bumps once per statement (a bulk insert of 100,000 rows is one bump);
SQLite has only row triggers, which update one row in place.

Reading it costs one primary-key lookup, so every request can afford it, and a cache
keyed by it is stale on every server the moment a write commits.
"""

from __future__ import annotations

import hashlib
import uuid
import weakref
from typing import Any

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from psycopg.pq import DiagnosticField, ExecStatus, PipelineStatus, TransactionStatus

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


# The read as a statement prepared once per PostgreSQL session, run through libpq itself
# (psycopg's `Connection.pgconn`, documented for commands psycopg does not wrap).
# psycopg's cursor and the server's parsing and planning of the one-row read took about
# 30 + 30 microseconds of CPU a read; the prepared statement 6 + 11. At saturation that
# was the lookup API's whole distance from a static file: 0.74 of it, 1.03 with no read.
# Named after its text, so a session holding a statement of that name holds this text
# (prepared through another connection object of a pooled session, say).
STATEMENT = b"portal_catalog_version_" + hashlib.sha1(QUERY.encode()).hexdigest()[:8].encode()
ALREADY_PREPARED, NOT_PREPARED = b"42P05", b"26000"

# Whether each libpq connection has the statement (False: its server refused it), as
# long as the connection lives: Django's pool hands a session to a new wrapper.
_prepared: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _prepared_read(connection: Any) -> tuple[str, str] | tuple[()] | None:
    """The version row (epoch, version) by the prepared statement; () for no row; None
    where the statement cannot be used, for the caller's cursor to read it the way every
    other query is read (raising what went wrong, if anything did).

    Only in autocommit with nothing under way: psycopg opens a transaction itself at its
    first statement (Django's atomic blocks), which a statement sent past it would not be
    part of, a statement sent during a COPY would end it, and libpq refuses one in
    pipeline mode. A session that lost the statement (`DEALLOCATE ALL` after a rollback,
    a pooler's reset) prepares it again; one whose server refuses to prepare it reads with
    the cursor until it is replaced.
    """
    raw = connection.connection
    pgconn = raw.pgconn
    if (
        not raw.autocommit
        or pgconn.transaction_status != TransactionStatus.IDLE
        or pgconn.pipeline_status != PipelineStatus.OFF
    ):
        return None
    ready = _prepared.get(pgconn)
    if ready is None:
        ready = _prepared[pgconn] = _prepare(pgconn)
    if not ready:
        return None
    result = pgconn.exec_prepared(STATEMENT, None)
    if _sqlstate(result) == NOT_PREPARED and _prepare(pgconn):
        result = pgconn.exec_prepared(STATEMENT, None)
    if result.status != ExecStatus.TUPLES_OK:
        _prepared.pop(pgconn, None)  # the next read prepares it again (a plan gone stale)
        return None
    if not result.ntuples:
        return ()
    epoch, version = result.get_value(0, 0), result.get_value(0, 1)
    return (bytes(epoch or b"").decode(), bytes(version or b"").decode())


def _prepare(pgconn: Any) -> bool:
    """Prepare the statement in `pgconn`'s session: whether it is there now."""
    result = pgconn.prepare(STATEMENT, QUERY.encode())
    return result.status == ExecStatus.COMMAND_OK or _sqlstate(result) == ALREADY_PREPARED


def _sqlstate(result: Any) -> bytes | None:
    """The SQLSTATE of a failed libpq result, None for one that did not fail."""
    if result.status != ExecStatus.FATAL_ERROR:
        return None
    found: bytes | None = result.error_field(DiagnosticField.SQLSTATE)
    return found


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
