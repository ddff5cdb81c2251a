"""The codes' keys under one index, `errorcode_key_idx`, in place of the two the field's
db_index made (on PostgreSQL a plain b-tree and a `varchar_pattern_ops` one).

On PostgreSQL it serves `=` and LIKE 'key%' alike (the pattern operators), and holds what
search reads of a code and what its filters test: the codes starting with a key are read
from it alone (an index-only scan), with the filters applied there, where each had been
joined to the filters by an index probe into the codes. For the 1,001 codes starting with
`payment` at 100,000 codes, the planner had walked the status index instead, checking each
code's key until it had enough: 51,000 entries and 4.4 ms, against 0.4 ms now (the whole
statement 9.3 -> 3.4 ms). On SQLite it is a plain index of the keys, as the one it
replaces (SQLite has no covering columns).

The database side is written out rather than left to AlterField, which on SQLite rebuilds
the codes' table (100,000 rows and more) for an index.
"""

from django.db import migrations, models

INDEX = models.Index(
    fields=["code_key"],
    opclasses=["varchar_pattern_ops"],
    include=["id", "published", "http_status", "service", "order", "lifecycle", "category"],
    name="errorcode_key_idx",
)

# The field's own indexes, as db_index=True named them.
FIELD_INDEX = "errors_errorcode_code_key_2aa688d5"
FIELD_INDEXES = {
    "sqlite": [f'CREATE INDEX "{FIELD_INDEX}" ON "errors_errorcode" ("code_key")'],
    "postgresql": [
        f'CREATE INDEX "{FIELD_INDEX}" ON "errors_errorcode" ("code_key")',
        f'CREATE INDEX "{FIELD_INDEX}_like" ON "errors_errorcode" '
        '("code_key" varchar_pattern_ops)',
    ],
}


def forwards(apps, schema_editor):
    # Built first, the old one dropped last: on PostgreSQL a dropped index locks the table
    # against reads until the transaction ends, and the build takes seconds at a million.
    schema_editor.add_index(apps.get_model("errors", "ErrorCode"), INDEX)
    for name in (FIELD_INDEX, f"{FIELD_INDEX}_like"):
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def backwards(apps, schema_editor):
    for statement in FIELD_INDEXES.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)
    schema_editor.remove_index(apps.get_model("errors", "ErrorCode"), INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0020_search_alias_keys"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="errorcode",
                    name="code_key",
                    field=models.CharField(editable=False, max_length=100),
                ),
                migrations.AddIndex(model_name="errorcode", index=INDEX),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
