"""Each service's codes under one index by (service, id), `errorcode_service_idx`, in place
of the foreign key's index of the service alone.

On PostgreSQL it holds what search reads of a code and what its filters test, as the
key index does (0021): a search within one service reads that service's codes from it
alone, where the foreign key's index fetched each code's wide row from the table (10,000
codes at a million, about 8 ms a read). At a million codes, the statement alone, the two
indexes swapped in turn twice: `service:svc-042 locked` 44.8-44.9 -> 28.3-31.0 ms,
`service:svc-001 payment` 29.1-33.2 -> 16.0-17.5, `service:svc-077 not found` 21.5-29.9
-> 16.7-16.8, `service:svc-001 invalid` 15.1-17.5 -> 10.9-11.4.

On SQLite it is an index of (service, id), as the foreign key's was in effect (SQLite
keeps the row id in every index entry).

The database side is written out rather than left to AlterField, which on SQLite rebuilds
the codes' table for an index.
"""

from django.db import migrations, models

INDEX = models.Index(
    fields=["service", "id"],
    include=["published", "http_status", "code_key", "order", "lifecycle", "category"],
    name="errorcode_service_idx",
)

# The foreign key's own index, as Django named it.
FIELD_INDEX = "errors_errorcode_service_id_83cae586"


def forwards(apps, schema_editor):
    # Built first, the old one dropped last (0021 says why).
    schema_editor.add_index(apps.get_model("errors", "ErrorCode"), INDEX)
    schema_editor.execute(f'DROP INDEX IF EXISTS "{FIELD_INDEX}"')


def backwards(apps, schema_editor):
    schema_editor.execute(f'CREATE INDEX "{FIELD_INDEX}" ON "errors_errorcode" ("service_id")')
    schema_editor.remove_index(apps.get_model("errors", "ErrorCode"), INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0021_code_key_covering"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="errorcode",
                    name="service",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="errors",
                        to="errors.service",
                    ),
                ),
                migrations.AddIndex(model_name="errorcode", index=INDEX),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
