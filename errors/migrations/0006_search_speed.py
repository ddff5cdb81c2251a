"""Search speed: on PostgreSQL no parallel workers for the search tables, whose queries
read a few thousand rows at most, and covering indexes by id and by status; on SQLite
the fts5vocab table search no longer reads goes (it is not put back on the way back:
nothing reads it).

The SQL is this migration's own, as errors/search_index.py ran it when it was frozen
here. Other engines get nothing.
"""

from django.db import migrations

SQLITE_FORWARD = [
    # The fts5vocab word counts of the first version of search; nothing reads them now.
    "DROP TABLE IF EXISTS errors_search_vocab",
]

SQLITE_BACKWARD = []

POSTGRESQL_FORWARD = [
    # A search reads a few thousand rows at most: parallel workers cost more than they save.
    "ALTER TABLE errors_search SET (parallel_workers = 0)",
    "ALTER TABLE errors_errorcode SET (parallel_workers = 0)",
    # What search reads of each code, without reading the wide rows (index-only scans):
    # by id for each match, and by status for the codes a status filter lets through.
    (
        "CREATE INDEX IF NOT EXISTS errors_search_codes ON errors_errorcode (id) INCLUDE "
        '(published, http_status, service_id, code_key, "order", lifecycle, category_id)'
    ),
    (
        "CREATE INDEX IF NOT EXISTS errors_search_status ON errors_errorcode (http_status) "
        'INCLUDE (published, id, service_id, code_key, "order", lifecycle, category_id)'
    ),
]

POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS errors_search_status",
    "DROP INDEX IF EXISTS errors_search_codes",
    "ALTER TABLE errors_search RESET (parallel_workers)",
    "ALTER TABLE errors_errorcode RESET (parallel_workers)",
]

FORWARD = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}
BACKWARD = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}


def _execute(connection, statements_by_vendor):
    with connection.cursor() as cursor:
        for statement in statements_by_vendor.get(connection.vendor, []):
            cursor.execute(statement)


def forwards(apps, schema_editor):
    _execute(schema_editor.connection, FORWARD)


def backwards(apps, schema_editor):
    _execute(schema_editor.connection, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0005_catalog_state"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
