"""PostgreSQL: every key in `errors_search.keys` is followed by a space, the last
alias's too (it was followed by the end of the text).

An exact alias is a whole word of the keys after the code's own. It was looked for with
two patterns, `% key %` and `% key` (the last alias), each a read of the trigram index:
14.5 ms each for `alreadyexists` at a million codes, the largest part of such a search.
With a space after every key, `% key %` alone finds them all. Existing rows get their
space here; errors_search_refresh writes it from now on.

The SQL is this migration's own (0004's function with the space added).
"""

from django.db import migrations

END_AFTER_THE_LAST_ALIAS = (
    r"""CREATE OR REPLACE FUNCTION errors_search_refresh(ids bigint[]) RETURNS void
    LANGUAGE sql AS $$
        DELETE FROM errors_search WHERE error_id = ANY(ids)
            AND NOT EXISTS (SELECT 1 FROM errors_errorcode e WHERE e.id = error_id);
        INSERT INTO errors_search (error_id, keys, strong, document)
        SELECT id, keys, strong, strong || rest FROM (SELECT e.id,
            e.code_key || ' ' || coalesce((
                SELECT string_agg(lower(regexp_replace(a, '[\s_-]+', '', 'g')), ' ')
                FROM jsonb_array_elements_text(e.aliases::jsonb) a), '') AS keys,
            setweight(to_tsvector('errors_search', regexp_replace(e.code, '([a-z0-9])([A-Z])',
                        '\1 \2', 'g') || ' ' || e.title || ' ' || coalesce((
                    SELECT string_agg(a, ' ') FROM jsonb_array_elements_text(e.aliases::jsonb) a),
                    '')), 'A')
            || setweight(to_tsvector('errors_search', e.summary || ' ' || coalesce((
                    SELECT string_agg(m, ' ')
                    FROM jsonb_array_elements_text(e.messages::jsonb) m), '')), 'B') AS strong,
            setweight(to_tsvector('errors_search', e.description || ' ' || e.resolution), 'C')
            || setweight(to_tsvector('errors_search', coalesce((
                    SELECT string_agg(x.body, ' ') FROM errors_example x
                    WHERE x.error_id = e.id), '')), 'D') AS rest
        FROM errors_errorcode e WHERE e.id = ANY(ids)) fields
        ON CONFLICT (error_id) DO UPDATE
        SET keys = EXCLUDED.keys, strong = EXCLUDED.strong, document = EXCLUDED.document;
    $$"""
)

# The space goes after the aliases, when there are any (without, the code's key is
# already followed by one).
LAST_ALIAS = "FROM jsonb_array_elements_text(e.aliases::jsonb) a), '') AS keys,"
assert LAST_ALIAS in END_AFTER_THE_LAST_ALIAS
SPACE_AFTER_EVERY_KEY = END_AFTER_THE_LAST_ALIAS.replace(
    LAST_ALIAS, "FROM jsonb_array_elements_text(e.aliases::jsonb) a) || ' ', '') AS keys,"
)


# Rows with aliases (a space before the last character) get the space, or lose it.
ADD_SPACE = "UPDATE errors_search SET keys = keys || ' ' WHERE right(keys, 1) <> ' '"
DROP_SPACE = (
    "UPDATE errors_search SET keys = left(keys, -1) "
    "WHERE right(keys, 1) = ' ' AND position(' ' IN left(keys, -1)) > 0"
)


def run(*statements: str):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0018_example_version_plans"),
    ]

    operations = [
        migrations.RunPython(
            run(SPACE_AFTER_EVERY_KEY, ADD_SPACE), run(END_AFTER_THE_LAST_ALIAS, DROP_SPACE)
        ),
    ]
