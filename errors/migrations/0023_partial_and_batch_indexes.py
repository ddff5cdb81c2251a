"""Indexes that let the pages read after each catalog write find their few rows, where
they had read the whole catalog or its whole history (100,000 codes on SQLite, each page
the first view after a write):

- `errorcode_replaced_by_idx`, of the codes that name a replacement, in place of the
  foreign key's index of every code. A code page reads the codes it replaces; with every
  code's NULL in the old index, SQLite's statistics said one value stood for all rows,
  and the planner scanned the table instead: 59 ms of the page's 82.
- `errorcode_draft_idx`, of each service's drafts. The home page, the services' list
  and llms.txt count each service's published codes as all its codes (the service
  index, read alone) less its drafts (this one): SQLite had built a temporary index of
  every code for the join, 90-170 ms.
- `revision_batch_idx`, of (batch, service), in place of the field's index of the batch.
  The home page shows the newest batches: it now finds them by walking the newest
  revisions and counts each one's revisions alone, where it grouped the whole history
  (290-360 ms, and growing with every write). An import's batch spans its services, so
  the service is in the key.

The database side is written out rather than left to AlterField, which on SQLite rebuilds
the table for an index.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models

REPLACED_BY_INDEX = models.Index(
    fields=["replaced_by"],
    condition=models.Q(replaced_by__isnull=False),
    name="errorcode_replaced_by_idx",
)
DRAFT_INDEX = models.Index(
    fields=["service"], condition=models.Q(published=False), name="errorcode_draft_idx"
)
BATCH_INDEX = models.Index(fields=["batch", "service"], name="revision_batch_idx")

# The fields' own indexes, as db_index=True named them.
REPLACED_BY_FIELD_INDEX = (
    "errors_errorcode",
    "replaced_by_id",
    "errors_errorcode_replaced_by_id_18a2d336",
)
BATCH_FIELD_INDEX = ("errors_errorcoderevision", "batch", "errors_errorcoderevision_batch_79e9f653")


def forwards(apps, schema_editor):
    # Built first, the old ones dropped last (0021 says why).
    schema_editor.add_index(apps.get_model("errors", "ErrorCode"), REPLACED_BY_INDEX)
    schema_editor.add_index(apps.get_model("errors", "ErrorCode"), DRAFT_INDEX)
    schema_editor.add_index(apps.get_model("errors", "ErrorCodeRevision"), BATCH_INDEX)
    for _, _, name in (REPLACED_BY_FIELD_INDEX, BATCH_FIELD_INDEX):
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def backwards(apps, schema_editor):
    for table, column, name in (REPLACED_BY_FIELD_INDEX, BATCH_FIELD_INDEX):
        schema_editor.execute(f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
    schema_editor.remove_index(apps.get_model("errors", "ErrorCodeRevision"), BATCH_INDEX)
    schema_editor.remove_index(apps.get_model("errors", "ErrorCode"), DRAFT_INDEX)
    schema_editor.remove_index(apps.get_model("errors", "ErrorCode"), REPLACED_BY_INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0022_service_codes_covering"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="errorcode",
                    name="replaced_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The code to use instead, for a deprecated or removed code.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="replaces",
                        to="errors.errorcode",
                    ),
                ),
                migrations.AlterField(
                    model_name="errorcoderevision",
                    name="batch",
                    field=models.UUIDField(default=uuid.uuid4, editable=False),
                ),
                migrations.AddIndex(model_name="errorcode", index=REPLACED_BY_INDEX),
                migrations.AddIndex(model_name="errorcode", index=DRAFT_INDEX),
                migrations.AddIndex(model_name="errorcoderevision", index=BATCH_INDEX),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
