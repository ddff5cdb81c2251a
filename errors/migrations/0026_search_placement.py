"""`errors_search` on PostgreSQL keeps, beside each code's text, what a search with no
filter reads of the code: whether it is published, its service, status, order and key.

Search joined every match to the filters' query (the codes the viewer may see, with those
columns) by a probe of a covering index on `errors_errorcode`: three pages a match,
1.7-2 ms of the 3.5 ms that a kind of match reaching the cap (1,001 codes) cost at
100,000 codes. With no filter but visibility, a match's own row now says it all.

Kept in step with the code: `errors_search_refresh` (which every insert and change of a
code's text runs) writes the columns with the text, and `errors_search_code_placed`
copies them when an update moves only them (published, order, service, status; the key
is text, refreshed already). The columns are added empty, then filled from the codes,
then made NOT NULL but the status (rows of codes that are gone, which a TRUNCATE before
0007 could leave, are dropped first). On a large catalog the fill rewrites every row
once, with searches waiting for it (8 s at 100,000 codes, 59 s at a million, with the
statement timeout lifted for its transaction); autovacuum reclaims the old rows
afterwards.

The SQL is this migration's own: 0020's refresh function with the columns written too.
SQLite's index is unchanged (its search joins the filters as before).
"""

from django.db import migrations

PLACEMENT = 'published, service_id, http_status, "order", code_key'

# The key as text: the codes' column is a varchar whose length the model sets, and a
# copy of that length here would refuse a longer key the day the model allows one.
ADD_COLUMNS = """ALTER TABLE errors_search
    ADD COLUMN IF NOT EXISTS published boolean,
    ADD COLUMN IF NOT EXISTS service_id bigint,
    ADD COLUMN IF NOT EXISTS http_status smallint,
    ADD COLUMN IF NOT EXISTS "order" integer,
    ADD COLUMN IF NOT EXISTS code_key text"""

# Rows of codes that are gone: a TRUNCATE before 0007 left them (no code refers to them,
# and no search could return them); they would hold the columns empty.
DROP_ORPHANS = """DELETE FROM errors_search s
    WHERE NOT EXISTS (SELECT 1 FROM errors_errorcode e WHERE e.id = s.error_id)"""

FILL_COLUMNS = f"""UPDATE errors_search s SET ({PLACEMENT}) =
    (e.published, e.service_id, e.http_status, e."order", e.code_key)
    FROM errors_errorcode e WHERE e.id = s.error_id"""

NOT_NULL = """ALTER TABLE errors_search
    ALTER COLUMN published SET NOT NULL,
    ALTER COLUMN service_id SET NOT NULL,
    ALTER COLUMN "order" SET NOT NULL,
    ALTER COLUMN code_key SET NOT NULL"""

REFRESH = r"""CREATE OR REPLACE FUNCTION errors_search_refresh(ids bigint[]) RETURNS void
    LANGUAGE sql AS $$
        DELETE FROM errors_search WHERE error_id = ANY(ids)
            AND NOT EXISTS (SELECT 1 FROM errors_errorcode e WHERE e.id = error_id);
        DELETE FROM errors_search_aliases WHERE error_id = ANY(ids);
        WITH written AS (INSERT INTO errors_search
            (error_id, keys, strong, document, published, service_id, http_status, "order",
             code_key)
        SELECT id, keys, strong, strong || rest, published, service_id, http_status,
            "order", code_key FROM (SELECT e.id, e.published, e.service_id, e.http_status,
            e."order", e.code_key,
            e.code_key || ' ' || coalesce((
                SELECT string_agg(lower(regexp_replace(a, '[\s_-]+', '', 'g')), ' ')
                FROM jsonb_array_elements_text(e.aliases::jsonb) a) || ' ', '') AS keys,
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
        SET keys = EXCLUDED.keys, strong = EXCLUDED.strong, document = EXCLUDED.document,
            published = EXCLUDED.published, service_id = EXCLUDED.service_id,
            http_status = EXCLUDED.http_status, "order" = EXCLUDED."order",
            code_key = EXCLUDED.code_key
        RETURNING error_id, keys)
        INSERT INTO errors_search_aliases (key, error_id)
        SELECT DISTINCT k, w.error_id FROM written w,
            unnest((string_to_array(rtrim(w.keys), ' '))[2:]) k WHERE k <> ''
        ON CONFLICT DO NOTHING;
    $$"""

# 0020's function, as it was before this migration.
REFRESH_0020 = REFRESH.replace(
    """        WITH written AS (INSERT INTO errors_search
            (error_id, keys, strong, document, published, service_id, http_status, "order",
             code_key)
        SELECT id, keys, strong, strong || rest, published, service_id, http_status,
            "order", code_key FROM (SELECT e.id, e.published, e.service_id, e.http_status,
            e."order", e.code_key,
""",
    """        WITH written AS (INSERT INTO errors_search (error_id, keys, strong, document)
        SELECT id, keys, strong, strong || rest FROM (SELECT e.id,
""",
).replace(
    """        SET keys = EXCLUDED.keys, strong = EXCLUDED.strong, document = EXCLUDED.document,
            published = EXCLUDED.published, service_id = EXCLUDED.service_id,
            http_status = EXCLUDED.http_status, "order" = EXCLUDED."order",
            code_key = EXCLUDED.code_key
""",
    """        SET keys = EXCLUDED.keys, strong = EXCLUDED.strong, document = EXCLUDED.document
""",
)
assert REFRESH_0020 != REFRESH and "published" not in REFRESH_0020

PLACED = f"""CREATE OR REPLACE FUNCTION errors_search_code_placed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE errors_search SET ({PLACEMENT}) =
            (NEW.published, NEW.service_id, NEW.http_status, NEW."order", NEW.code_key)
            WHERE error_id = NEW.id;
        RETURN NULL;
    END $$"""

PLACED_TRIGGER = """CREATE TRIGGER errors_search_code_placed
    AFTER UPDATE OF published, "order", service_id, http_status ON errors_errorcode
    FOR EACH ROW WHEN (
        OLD.published IS DISTINCT FROM NEW.published
        OR OLD."order" IS DISTINCT FROM NEW."order"
        OR OLD.service_id IS DISTINCT FROM NEW.service_id
        OR OLD.http_status IS DISTINCT FROM NEW.http_status
    ) EXECUTE FUNCTION errors_search_code_placed()"""

# The fill rewrites every row: 30-40 s at a million codes, past the statement timeout the
# portal sets on its connections for requests (DATABASE_STATEMENT_TIMEOUT). Off for this
# migration's transaction alone.
NO_TIMEOUT = "SET LOCAL statement_timeout = 0"

POSTGRESQL_FORWARD = [
    NO_TIMEOUT,
    ADD_COLUMNS,
    REFRESH,
    DROP_ORPHANS,
    FILL_COLUMNS,
    NOT_NULL,
    PLACED,
    "DROP TRIGGER IF EXISTS errors_search_code_placed ON errors_errorcode",
    PLACED_TRIGGER,
]

POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS errors_search_code_placed ON errors_errorcode",
    "DROP FUNCTION IF EXISTS errors_search_code_placed()",
    REFRESH_0020,
    """ALTER TABLE errors_search DROP COLUMN published, DROP COLUMN service_id,
        DROP COLUMN http_status, DROP COLUMN "order", DROP COLUMN code_key""",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0025_spelt_like_function"),
    ]

    operations = [
        migrations.RunPython(run(POSTGRESQL_FORWARD), run(POSTGRESQL_BACKWARD)),
    ]
