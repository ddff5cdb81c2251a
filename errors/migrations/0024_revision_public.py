"""`ErrorCodeRevision.public`: whether readers see a revision (its snapshot is not a
draft's), a column of its own. The home page's newest batches and the changelogs kept
the revisions whose snapshot's `published` is not false: SQLite parsed each revision's
JSON to know, 23 ms of the 32 it took to walk the newest 6,000 revisions at 100,000
codes.

The column is added with a database default of true for the revisions there are, which
both databases add without rewriting the table (Django's AddField rebuilds the table on
SQLite, a copy of every snapshot); then the drafts' revisions are marked. The history
writes the column with every revision from then on; the model's default, for a revision
written otherwise, is private. On PostgreSQL the table stays locked while the drafts are
looked for, a read of every snapshot (seconds at a million revisions).

Going back drops the column through the schema editor, which rebuilds the table on a
SQLite older than 3.35 (no DROP COLUMN).
"""

from django.db import migrations, models

TABLE = "errors_errorcoderevision"


def drop_public(apps, schema_editor):
    revision = apps.get_model("errors", "ErrorCodeRevision")
    schema_editor.remove_field(revision, revision._meta.get_field("public"))


def mark_drafts(apps, schema_editor):
    revision = apps.get_model("errors", "ErrorCodeRevision")
    drafts = revision.objects.using(schema_editor.connection.alias).filter(
        snapshot__published=False
    )
    drafts.update(public=False)


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0023_partial_and_batch_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="errorcoderevision",
                    name="public",
                    field=models.BooleanField(default=False, editable=False),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE {TABLE} ADD COLUMN public boolean NOT NULL DEFAULT true",
                    migrations.RunSQL.noop,  # dropped by drop_public, with the field in state
                ),
            ],
        ),
        migrations.RunPython(migrations.RunPython.noop, drop_public),
        migrations.RunPython(mark_drafts, migrations.RunPython.noop),
    ]
