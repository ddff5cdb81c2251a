"""Entries list the operations they are documented on (issue 17: OpenAPI in and out).

On SQLite the column is added with ALTER TABLE ADD COLUMN: Django's AddField would rebuild
the table there and drop the search triggers and indexes built on it (as in 0008).
"""

from django.db import migrations, models

OPERATIONS_FIELD = models.JSONField(
    blank=True,
    default=list,
    help_text='The operations documented to answer this code: a list of {"method": "POST", '
    '"path": "/v1/orders"}.',
)
SQLITE_ADD = (
    'ALTER TABLE "errors_errorcode" ADD COLUMN "operations" text NOT NULL DEFAULT \'[]\' '
    'CHECK ((JSON_VALID("operations") OR "operations" IS NULL))'
)
SQLITE_DROP = 'ALTER TABLE "errors_errorcode" DROP COLUMN "operations"'


def _field():
    field = OPERATIONS_FIELD.clone()
    field.set_attributes_from_name("operations")
    return field


def add_column(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_ADD)
        return
    schema_editor.add_field(apps.get_model("errors", "ErrorCode"), _field())


def drop_column(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)
        return
    schema_editor.remove_field(apps.get_model("errors", "ErrorCode"), _field())


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0010_drift"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="errorcode", name="operations", field=OPERATIONS_FIELD
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
    ]
