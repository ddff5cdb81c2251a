"""Entries keep their typical messages' forms (skeletons and loose words), worked out when
they are saved, so that identify's matchers read them instead of working out every
message of the catalog again in each worker after every write (issue 19). Rows written
before this have none: identify works theirs out until they are saved again.

On SQLite the column is added with ALTER TABLE ADD COLUMN, as in 0011: Django's AddField
would rebuild the table there and drop the search triggers and indexes built on it.
"""

from django.db import migrations, models

FORMS_FIELD = models.JSONField(
    blank=True,
    default=dict,
    editable=False,
    help_text="The typical messages' skeletons and loose words, worked out when they are "
    "saved (errors.message_values.stored_forms): identify reads them.",
)
SQLITE_ADD = (
    'ALTER TABLE "errors_errorcode" ADD COLUMN "message_forms" text NOT NULL DEFAULT \'{}\' '
    'CHECK ((JSON_VALID("message_forms") OR "message_forms" IS NULL))'
)
SQLITE_DROP = 'ALTER TABLE "errors_errorcode" DROP COLUMN "message_forms"'


def _field():
    field = FORMS_FIELD.clone()
    field.set_attributes_from_name("message_forms")
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
        ("errors", "0012_revision_batch"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="errorcode", name="message_forms", field=FORMS_FIELD
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
    ]
