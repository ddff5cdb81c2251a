"""Each service's own version, for caches built per service (identify's matchers).

The catalog version (errors.catalog_version) moves on any write, so a cache keyed by it
alone is rebuilt whole after every write: at a million codes that is a minute of work
per worker for one edited code. Triggers also bump `ServiceState.version` of each
service whose matcher inputs a write touched (its own row, its codes, their examples),
in the same transaction, so that a worker that sees the catalog version move reads these
few rows and rebuilds only the services whose version moved.

A service's state row is made by the trigger on its insert and removed on its delete; it
has no foreign key, so that a write bumping the version of a service being deleted never
blocks the delete.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

# A service's version moves past both its own and the catalog's: versions are never reused
# within a database's epoch, even by a service row made again under an id used before.
CATALOG = "coalesce((SELECT version FROM errors_catalogstate WHERE id = 1), 0)"
BUMP = (
    "UPDATE errors_servicestate SET version = {greatest}(version, {catalog}) + 1 WHERE service_id"
)
NEW_ROW = f"{CATALOG} + 1"
CODE_SERVICE = "SELECT service_id FROM errors_errorcode WHERE id"
SQLITE_BUMP = BUMP.format(greatest="max", catalog=CATALOG)
POSTGRESQL_BUMP = BUMP.format(greatest="GREATEST", catalog=CATALOG)
# SQLite checks every trigger when Django rebuilds a table (ALTER TABLE ... RENAME): those
# on errors_example read errors_errorcode, which is gone for a moment when that table is
# rebuilt, so they are dropped before each `migrate` (errors.apps) and made again after.
SQLITE_CROSS_TABLE = [f"errors_example_service_version_{e}" for e in ("insert", "update", "delete")]


def service_versions(using: str = DEFAULT_DB_ALIAS) -> dict[int, int | None]:
    """Every service's version, `{service id: version}`, in the catalog's order of services
    (by name), in one query over a row a service. A service without a state row (the
    triggers were dropped when it was saved) has None: whatever was built for it may be
    stale."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT s.id, v.version FROM errors_service s "
            "LEFT JOIN errors_servicestate v ON v.service_id = s.id ORDER BY s.name, s.id"
        )
        return dict(cursor.fetchall())


def sqlite_statements() -> list[str]:
    """Row triggers: SQLite has no statement triggers."""
    on = "CREATE TRIGGER IF NOT EXISTS {table}_service_version_{event} AFTER {EVENT} ON {table}"
    bodies = {
        ("errors_service", "insert"): (
            "INSERT OR IGNORE INTO errors_servicestate (service_id, version) "
            f"VALUES (NEW.id, {NEW_ROW})"
        ),
        ("errors_service", "update"): f"{SQLITE_BUMP} = NEW.id",
        ("errors_service", "delete"): "DELETE FROM errors_servicestate WHERE service_id = OLD.id",
        ("errors_errorcode", "insert"): f"{SQLITE_BUMP} = NEW.service_id",
        ("errors_errorcode", "update"): f"{SQLITE_BUMP} IN (NEW.service_id, OLD.service_id)",
        ("errors_errorcode", "delete"): f"{SQLITE_BUMP} = OLD.service_id",
        ("errors_example", "insert"): f"{SQLITE_BUMP} IN ({CODE_SERVICE} = NEW.error_id)",
        ("errors_example", "update"): (
            f"{SQLITE_BUMP} IN ({CODE_SERVICE} IN (NEW.error_id, OLD.error_id))"
        ),
        ("errors_example", "delete"): f"{SQLITE_BUMP} IN ({CODE_SERVICE} = OLD.error_id)",
    }
    return [
        on.format(table=table, event=event, EVENT=event.upper()) + f" BEGIN {body}; END"
        for (table, event), body in bodies.items()
    ]


def postgresql_statements() -> list[str]:
    """Statement triggers with transition tables: a bulk insert of a million codes bumps
    each of its services once, not once per row."""
    changed = {
        "errors_service": "SELECT id FROM {rows}",
        "errors_errorcode": "SELECT service_id FROM {rows}",
        "errors_example": f"{CODE_SERVICE} IN (SELECT error_id FROM {{rows}})",
    }
    statements = []
    for table, services in changed.items():
        insert = f"{POSTGRESQL_BUMP} IN ({services.format(rows='new_rows')})"
        delete = f"{POSTGRESQL_BUMP} IN ({services.format(rows='old_rows')})"
        if table == "errors_service":
            insert = (
                "INSERT INTO errors_servicestate (service_id, version) "
                f"SELECT id, {NEW_ROW} FROM new_rows ON CONFLICT DO NOTHING"
            )
            delete = "DELETE FROM errors_servicestate WHERE service_id IN (SELECT id FROM old_rows)"
        update = (
            f"{POSTGRESQL_BUMP} IN ({services.format(rows='new_rows')} "
            f"UNION {services.format(rows='old_rows')})"
        )
        if table == "errors_example":
            # Planned at each run, not once per session: PL/pgSQL keeps the plan of a
            # statement without parameters, made when errors_errorcode was nearly empty
            # (a scan of the whole table), and an import's examples then scanned every
            # code written before them: 27 ms a service at 100,000 codes.
            insert, update, delete = (
                "EXECUTE '" + sql.replace("'", "''") + "'" for sql in (insert, update, delete)
            )
        statements.append(
            f"CREATE OR REPLACE FUNCTION {table}_service_version() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP = 'INSERT' THEN {insert}; "
            f"ELSIF TG_OP = 'UPDATE' THEN {update}; "
            f"ELSE {delete}; END IF; RETURN NULL; END; $$ LANGUAGE plpgsql"
        )
        referencing = {
            "INSERT": "NEW TABLE AS new_rows",
            "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "DELETE": "OLD TABLE AS old_rows",
        }
        for event, tables in referencing.items():
            name = f"{table}_service_version_{event.lower()}"
            statements += [
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_service_version()",
            ]
    # A TRUNCATE has no transition tables: it moves every service on (or drops every row).
    statements.append(
        "CREATE OR REPLACE FUNCTION errors_service_versions_truncated() RETURNS trigger AS $$ "
        "BEGIN IF TG_TABLE_NAME = 'errors_service' THEN DELETE FROM errors_servicestate; "
        f"ELSE UPDATE errors_servicestate SET version = GREATEST(version, {CATALOG}) + 1; "
        "END IF; RETURN NULL; "
        "END; $$ LANGUAGE plpgsql"
    )
    for table in changed:
        name = f"{table}_service_version_truncate"
        statements += [
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION errors_service_versions_truncated()",
        ]
    return statements


# Services saved before the triggers existed (or while a table rebuild had dropped them).
MISSING_ROWS = (
    "INSERT INTO errors_servicestate (service_id, version) "
    f"SELECT id, {NEW_ROW} FROM errors_service "
    "WHERE id NOT IN (SELECT service_id FROM errors_servicestate)"
)
# A write made while triggers were missing bumped nothing: every service is new again.
BUMP_ALL = f"UPDATE errors_servicestate SET version = version + {CATALOG} + 1"
TRIGGER_NAMES = {
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
    "AND name LIKE 'errors_%_service_version_%'",
    "postgresql": "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal "
    "AND tgname LIKE 'errors_%_service_version_%'",
}


def ensure_service_state(connection: Any) -> None:
    """Create the triggers and the state rows where they are missing (idempotent; run after
    every `migrate`). When triggers were missing, writes made meanwhile moved no version:
    every service's version then moves on, and workers rebuild every matcher once."""
    postgresql = connection.vendor == "postgresql"
    statements = postgresql_statements() if postgresql else sqlite_statements()
    triggers = sum(statement.startswith("CREATE TRIGGER") for statement in statements)
    with connection.cursor() as cursor:
        cursor.execute(TRIGGER_NAMES["postgresql" if postgresql else "sqlite"])
        (present,) = cursor.fetchone()
        for statement in [*statements, MISSING_ROWS]:
            cursor.execute(statement)
        if present < triggers:
            cursor.execute(BUMP_ALL)


def drop_cross_table_triggers(connection: Any) -> None:
    """Before a `migrate` on SQLite: drop the triggers that read another table than theirs
    (SQLITE_CROSS_TABLE), which would fail any rebuild of that table."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name in SQLITE_CROSS_TABLE:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
