"""On PostgreSQL, the search triggers can leave a code's refresh to later in the same
transaction: while the transaction's setting `errors.search_refresh` is `deferred`, each
notes the ids it would have refreshed in the session's temporary table
`errors_search_pending`, and whoever set it refreshes them (errors/search/deferred.py).

A large import sets it so that the search documents of one service's codes (their texts
parsed into weighted words, and added to three GIN indexes: about 0.3 s a thousand codes)
are made on a helper thread while the importer works out the next service's rows, instead
of inside each COPY it waits for. Unset, as everywhere else, the triggers refresh at once,
as before.

The SQL is this migration's own; backwards puts back 0004's functions.
"""

from django.db import migrations

DEFERRED = "current_setting('errors.search_refresh', true) = 'deferred'"


def function(name, noted, refreshed):
    """A trigger function that notes `noted` (the SELECT or VALUES of the ids) while
    refreshes are deferred, and otherwise refreshes the array `refreshed`."""
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF {DEFERRED} THEN
            INSERT INTO pg_temp.errors_search_pending (id) {noted};
        ELSE
            PERFORM errors_search_refresh({refreshed});
        END IF;
        RETURN NULL;
    END $$"""


POSTGRESQL_FORWARD = [
    function(
        "errors_search_codes_changed",
        "SELECT id FROM changed_rows",
        "ARRAY(SELECT id FROM changed_rows)",
    ),
    function("errors_search_code_updated", "VALUES (NEW.id)", "ARRAY[NEW.id]"),
    function(
        "errors_search_examples_changed",
        "SELECT DISTINCT error_id FROM changed_rows",
        "ARRAY(SELECT DISTINCT error_id FROM changed_rows)",
    ),
    function(
        "errors_search_examples_moved",
        "VALUES (OLD.error_id), (NEW.error_id)",
        "ARRAY[OLD.error_id, NEW.error_id]",
    ),
]

# 0004's functions.
POSTGRESQL_BACKWARD = [
    """CREATE OR REPLACE FUNCTION errors_search_codes_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM errors_search_refresh(ARRAY(SELECT id FROM changed_rows));
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION errors_search_code_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM errors_search_refresh(ARRAY[NEW.id]);
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION errors_search_examples_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM errors_search_refresh(ARRAY(SELECT DISTINCT error_id FROM changed_rows));
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION errors_search_examples_moved() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM errors_search_refresh(ARRAY[OLD.error_id, NEW.error_id]);
        RETURN NULL;
    END $$""",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0022_service_codes_covering"),
    ]

    operations = [
        migrations.RunPython(run(POSTGRESQL_FORWARD), run(POSTGRESQL_BACKWARD)),
    ]
