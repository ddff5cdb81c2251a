"""Issue 13: who may publish each service (`Service.publishers`), the rule for codes
(validators only: no schema change), and on PostgreSQL the search index's answer to a
TRUNCATE, after which errors_search kept every row of the codes that were gone."""

from django.conf import settings
from django.db import migrations, models

import errors.models

POSTGRESQL_FORWARD = [
    """CREATE OR REPLACE FUNCTION errors_search_codes_truncated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM errors_search;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION errors_search_examples_truncated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM errors_search_refresh(ARRAY(SELECT id FROM errors_errorcode));
        RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS errors_search_code_truncate ON errors_errorcode",
    """CREATE TRIGGER errors_search_code_truncate AFTER TRUNCATE ON errors_errorcode
    FOR EACH STATEMENT EXECUTE FUNCTION errors_search_codes_truncated()""",
    "DROP TRIGGER IF EXISTS errors_search_example_truncate ON errors_example",
    """CREATE TRIGGER errors_search_example_truncate AFTER TRUNCATE ON errors_example
    FOR EACH STATEMENT EXECUTE FUNCTION errors_search_examples_truncated()""",
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS errors_search_code_truncate ON errors_errorcode",
    "DROP TRIGGER IF EXISTS errors_search_example_truncate ON errors_example",
    "DROP FUNCTION IF EXISTS errors_search_codes_truncated()",
    "DROP FUNCTION IF EXISTS errors_search_examples_truncated()",
]


def _execute(connection, statements):
    if connection.vendor != "postgresql":
        return  # SQLite has no TRUNCATE: a DELETE fires the row triggers
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def forwards(apps, schema_editor):
    _execute(schema_editor.connection, POSTGRESQL_FORWARD)


def backwards(apps, schema_editor):
    _execute(schema_editor.connection, POSTGRESQL_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0006_search_speed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="service",
            name="publishers",
            field=models.ManyToManyField(
                blank=True,
                help_text="The users whose API tokens may publish this service's catalog: one "
                "CI user per service. Staff may always; a token that creates a service is "
                "listed here.",
                related_name="published_services",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="errorcode",
            name="code",
            field=models.CharField(
                help_text='As the API sends it. An entry known only by its HTTP status uses the '
                'status as its code: "404".',
                max_length=100,
                validators=[errors.models.validate_code],
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
