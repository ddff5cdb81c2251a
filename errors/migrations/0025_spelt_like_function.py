"""`errors_search_spelt_like(key, cap, wanted)` on PostgreSQL: the keys spelt somewhat like
a misspelt code, read through the trigram index whatever the planner estimates.

Search read them with `key <% keys LIMIT cap`, ordered by `word_similarity`. How many keys
`<%` lets through, the planner estimates from ANALYZE's sample of the keys: for
`webhoklimitexceeded` at 100,000 codes five ANALYZEs in a row gave 150, 6,017, 8,972,
3,995 and 5,286 rows. Past some 9,000 it expects the cap within the first tenth of the
table and reads it in order, working out `word_similarity` for each key until 1,000 pass:
19,000 keys, 50 ms, where the trigram index takes 6 ms. The function runs the same
statement with sequential and plain index scans off (restored when it returns, a SET
clause of its own; a plain scan of the primary key, filtered, would be the same gamble),
so the trigram index's bitmap is the only way left. The key is named with the function's
name, since a column of that name would otherwise take its place.

SQLite finds misspellings by runs of letters in its own index (errors/search/sqlite.py):
nothing changes there.
"""

from django.db import migrations

POSTGRESQL_FORWARD = [
    """CREATE OR REPLACE FUNCTION errors_search_spelt_like(key text, cap integer, wanted integer)
        RETURNS TABLE (error_id bigint, keys text)
        LANGUAGE sql STABLE
        SET enable_seqscan = off
        SET enable_indexscan = off
        AS $$
            SELECT c.error_id, c.keys FROM (
                SELECT s.error_id, s.keys FROM errors_search s
                WHERE errors_search_spelt_like.key <% s.keys
                LIMIT errors_search_spelt_like.cap
            ) c
            ORDER BY word_similarity(errors_search_spelt_like.key, c.keys) DESC
            LIMIT errors_search_spelt_like.wanted
        $$""",
]

POSTGRESQL_BACKWARD = ["DROP FUNCTION IF EXISTS errors_search_spelt_like(text, integer, integer)"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0024_revision_public"),
    ]

    operations = [
        migrations.RunPython(run(POSTGRESQL_FORWARD), run(POSTGRESQL_BACKWARD)),
    ]
