"""Triggers that bump `CatalogState.version` on every write to the catalog tables.

PostgreSQL bumps once per statement (a bulk insert of 100,000 rows is one bump); SQLite
has only row triggers, which update one row in place.
"""

from __future__ import annotations

import uuid

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


def ensure_catalog_state(connection) -> None:
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


def drop_catalog_state_triggers(connection) -> None:
    """Remove the triggers (migrating backwards)."""
    with connection.cursor() as cursor:
        for table in CATALOG_TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_version ON {table}")
            else:
                for event in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_version_{event}")
