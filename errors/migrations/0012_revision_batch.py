"""Revisions written together share a batch (issue 14's gap: a bulk action that crossed a
second boundary showed as two changelog entries).

The column is added empty, every existing row is given the batch the changelog grouped it
in until now, then the column becomes required and indexed. Until now a batch was one
service, one source, one author and one moment: an import's exact time (an import stamps
all its revisions with one), any other write's time truncated to the second. One UPDATE
gives each such group the id of its first row as a UUID (a version-0 UUID, which no
`uuid4()` of a later write can equal).

errors_errorcoderevision has no triggers (the search index and the catalog version watch
the catalog tables only), so SQLite may rebuild it for the last step as Django does.
"""

import uuid

from django.db import migrations, models

# The moment of a revision's batch, as the changelog computed it before this migration.
SQLITE_MOMENT = "CASE WHEN source = 'import' THEN created_at ELSE substr(created_at, 1, 19) END"
POSTGRESQL_MOMENT = (
    "CASE WHEN source = 'import' THEN created_at ELSE date_trunc('second', created_at) END"
)
# The group's first id as a UUID: 32 hex digits on SQLite (how Django stores a UUIDField
# there), a uuid on PostgreSQL.
SQLITE_BATCH = "printf('%032x', min(id) OVER (PARTITION BY service_id, source, user_id, {moment}))"
POSTGRESQL_BATCH = (
    "lpad(to_hex(min(id) OVER (PARTITION BY service_id, source, user_id, {moment})), 32, '0')::uuid"
)
BACKFILL = (
    "UPDATE errors_errorcoderevision SET batch = firsts.batch FROM "
    "(SELECT id, {batch} AS batch FROM errors_errorcoderevision) AS firsts "
    "WHERE errors_errorcoderevision.id = firsts.id"
)


def backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        batch = SQLITE_BATCH.format(moment=SQLITE_MOMENT)
    elif vendor == "postgresql":
        batch = POSTGRESQL_BATCH.format(moment=POSTGRESQL_MOMENT)
    else:
        raise NotImplementedError(f"0012 backfills on SQLite and PostgreSQL only, not {vendor}")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(BACKFILL.format(batch=batch))  # no parameters: printf's % stays


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0011_error_operations"),
    ]

    operations = [
        migrations.AddField(
            model_name="errorcoderevision",
            name="batch",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="errorcoderevision",
            name="batch",
            field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False),
        ),
    ]
