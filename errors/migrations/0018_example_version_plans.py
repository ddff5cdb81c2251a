"""PostgreSQL plans the service-version statements of an example's write at each run.

PL/pgSQL keeps the plan of a statement without parameters for the whole session. The
trigger on errors_example joins errors_errorcode, and the plan made when that table was
nearly empty (a scan of every row) stayed while an import filled it: the examples of
each service scanned every code written before them, 27 ms a service at 100,000 codes
(2.8 s of a 36.5 s import) and ten times that at a million. `EXECUTE` plans the statement
at each run, for the table as it is (0.2 s in all).

The SQL is this migration's own, as errors/service_version.py made it when it was frozen
here (a test compares the two). SQLite: nothing (its triggers run row by row through the
primary key). After every `migrate`, errors.apps installs the live module's statements
again: migrating back to 0017 under this code ends with the function of this migration,
and only the older code brings the older function back.
"""

from django.db import migrations

PLANNED_EACH_RUN = "CREATE OR REPLACE FUNCTION errors_example_service_version() RETURNS trigger AS $$ BEGIN IF TG_OP = 'INSERT' THEN EXECUTE 'UPDATE errors_servicestate SET version = GREATEST(version, coalesce((SELECT version FROM errors_catalogstate WHERE id = 1), 0)) + 1 WHERE service_id IN (SELECT service_id FROM errors_errorcode WHERE id IN (SELECT error_id FROM new_rows))'; ELSIF TG_OP = 'UPDATE' THEN EXECUTE 'UPDATE errors_servicestate SET version = GREATEST(version, coalesce((SELECT version FROM errors_catalogstate WHERE id = 1), 0)) + 1 WHERE service_id IN (SELECT service_id FROM errors_errorcode WHERE id IN (SELECT error_id FROM new_rows) UNION SELECT service_id FROM errors_errorcode WHERE id IN (SELECT error_id FROM old_rows))'; ELSE EXECUTE 'UPDATE errors_servicestate SET version = GREATEST(version, coalesce((SELECT version FROM errors_catalogstate WHERE id = 1), 0)) + 1 WHERE service_id IN (SELECT service_id FROM errors_errorcode WHERE id IN (SELECT error_id FROM old_rows))'; END IF; RETURN NULL; END; $$ LANGUAGE plpgsql"

PLANNED_ONCE = "CREATE OR REPLACE FUNCTION errors_example_service_version() RETURNS trigger AS $$ BEGIN IF TG_OP = 'INSERT' THEN UPDATE errors_servicestate SET version = GREATEST(version, coalesce((SELECT version FROM errors_catalogstate WHERE id = 1), 0)) + 1 WHERE service_id IN (SELECT service_id FROM errors_errorcode WHERE id IN (SELECT error_id FROM new_rows)); ELSIF TG_OP = 'UPDATE' THEN UPDATE errors_servicestate SET version = GREATEST(version, coalesce((SELECT version FROM errors_catalogstate WHERE id = 1), 0)) + 1 WHERE service_id IN (SELECT service_id FROM errors_errorcode WHERE id IN (SELECT error_id FROM new_rows) UNION SELECT service_id FROM errors_errorcode WHERE id IN (SELECT error_id FROM old_rows)); ELSE UPDATE errors_servicestate SET version = GREATEST(version, coalesce((SELECT version FROM errors_catalogstate WHERE id = 1), 0)) + 1 WHERE service_id IN (SELECT service_id FROM errors_errorcode WHERE id IN (SELECT error_id FROM old_rows)); END IF; RETURN NULL; END; $$ LANGUAGE plpgsql"


def replace_with(statement: str):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0017_search_pending_size"),
    ]

    operations = [
        migrations.RunPython(replace_with(PLANNED_EACH_RUN), replace_with(PLANNED_ONCE)),
    ]
