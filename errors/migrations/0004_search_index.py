"""The full-text search index: FTS5 tables on SQLite, a weighted tsvector and pg_trgm on
PostgreSQL, kept in step by triggers.

The SQL is this migration's own, as errors/search_index.py ran it on a fresh database
when it was frozen here: that module may change without changing what this migration
does. A later change to the index is a new migration. Other engines get nothing.
"""

from django.db import migrations

# SQLite: the tables, the covering index, the triggers, then every code indexed.
SQLITE_FORWARD = [
    (
        "CREATE VIRTUAL TABLE IF NOT EXISTS errors_search_text USING fts5(code, aliases, "
        "title, summary, messages, description, resolution, examples, tokenize = 'porter "
        "unicode61 remove_diacritics 2', prefix = '2 3')"
    ),
    "CREATE VIRTUAL TABLE IF NOT EXISTS errors_search_keys USING fts5(keys, tokenize = 'trigram')",
    # What search reads of each match, found by id without reading the wide row (its
    # texts span overflow pages).
    (
        "CREATE INDEX IF NOT EXISTS errors_search_codes ON errors_errorcode (id, published, "
        'http_status, service_id, code_key, "order", lifecycle, category_id)'
    ),
    # Triggers, not signals: bulk_create, bulk_update and queryset deletes send none.
    """
        CREATE TRIGGER IF NOT EXISTS errors_search_code_insert
        AFTER INSERT ON errors_errorcode BEGIN
            INSERT INTO errors_search_text(rowid, code, aliases, title, summary, messages, description, resolution, examples)
            VALUES (NEW.id, NEW.code, (SELECT group_concat(value, ' ') FROM json_each(NEW.aliases)), NEW.title, NEW.summary, (SELECT group_concat(value, ' ') FROM json_each(NEW.messages)), NEW.description, NEW.resolution,
                    (SELECT group_concat(body, ' ') FROM errors_example WHERE error_id = NEW.id));
            INSERT INTO errors_search_keys(rowid, keys) VALUES (NEW.id, NEW.code_key || ' ' || coalesce((SELECT group_concat(lower(replace(replace(replace(value, '_', ''), '-', ''), ' ', '')), ' ') FROM json_each(NEW.aliases)), ''));
        END""",
    """
        CREATE TRIGGER IF NOT EXISTS errors_search_code_update
        AFTER UPDATE OF code, code_key, aliases, title, summary, messages, description, resolution ON errors_errorcode BEGIN
            DELETE FROM errors_search_text WHERE rowid = OLD.id;
            DELETE FROM errors_search_keys WHERE rowid = OLD.id;
            INSERT INTO errors_search_text(rowid, code, aliases, title, summary, messages, description, resolution, examples)
            VALUES (NEW.id, NEW.code, (SELECT group_concat(value, ' ') FROM json_each(NEW.aliases)), NEW.title, NEW.summary, (SELECT group_concat(value, ' ') FROM json_each(NEW.messages)), NEW.description, NEW.resolution,
                    (SELECT group_concat(body, ' ') FROM errors_example WHERE error_id = NEW.id));
            INSERT INTO errors_search_keys(rowid, keys) VALUES (NEW.id, NEW.code_key || ' ' || coalesce((SELECT group_concat(lower(replace(replace(replace(value, '_', ''), '-', ''), ' ', '')), ' ') FROM json_each(NEW.aliases)), ''));
        END""",
    """
        CREATE TRIGGER IF NOT EXISTS errors_search_code_delete
        AFTER DELETE ON errors_errorcode BEGIN
            DELETE FROM errors_search_text WHERE rowid = OLD.id;
            DELETE FROM errors_search_keys WHERE rowid = OLD.id;
        END""",
    """
        CREATE TRIGGER IF NOT EXISTS errors_search_example_insert
        AFTER INSERT ON errors_example BEGIN
            UPDATE errors_search_text
            SET examples = (SELECT group_concat(body, ' ') FROM errors_example WHERE error_id = NEW.error_id)
            WHERE rowid = NEW.error_id;
        END""",
    """
        CREATE TRIGGER IF NOT EXISTS errors_search_example_update
        AFTER UPDATE OF body, error_id ON errors_example BEGIN
            UPDATE errors_search_text
            SET examples = (SELECT group_concat(body, ' ') FROM errors_example WHERE error_id = OLD.error_id)
            WHERE rowid = OLD.error_id;
            UPDATE errors_search_text
            SET examples = (SELECT group_concat(body, ' ') FROM errors_example WHERE error_id = NEW.error_id)
            WHERE rowid = NEW.error_id;
        END""",
    """
        CREATE TRIGGER IF NOT EXISTS errors_search_example_delete
        AFTER DELETE ON errors_example BEGIN
            UPDATE errors_search_text
            SET examples = (SELECT group_concat(body, ' ') FROM errors_example WHERE error_id = OLD.error_id)
            WHERE rowid = OLD.error_id;
        END""",
    # Index every code there already is.
    "DELETE FROM errors_search_text",
    "DELETE FROM errors_search_keys",
    """INSERT INTO errors_search_text(rowid, code, aliases, title, summary, messages, description, resolution, examples)
        SELECT e.id, e.code, (SELECT group_concat(value, ' ') FROM json_each(e.aliases)), e.title, e.summary, (SELECT group_concat(value, ' ') FROM json_each(e.messages)), e.description, e.resolution, (SELECT group_concat(body, ' ') FROM errors_example WHERE error_id = e.id)
        FROM errors_errorcode e""",
    (
        "INSERT INTO errors_search_keys(rowid, keys) SELECT e.id, e.code_key || ' ' || "
        "coalesce((SELECT group_concat(lower(replace(replace(replace(value, '_', ''), '-', "
        "''), ' ', '')), ' ') FROM json_each(e.aliases)), '') FROM errors_errorcode e"
    ),
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS errors_search_code_insert",
    "DROP TRIGGER IF EXISTS errors_search_code_update",
    "DROP TRIGGER IF EXISTS errors_search_code_delete",
    "DROP TRIGGER IF EXISTS errors_search_example_insert",
    "DROP TRIGGER IF EXISTS errors_search_example_update",
    "DROP TRIGGER IF EXISTS errors_search_example_delete",
    "DROP INDEX IF EXISTS errors_search_codes",
    "DROP TABLE IF EXISTS errors_search_vocab",
    "DROP TABLE IF EXISTS errors_search_text",
    "DROP TABLE IF EXISTS errors_search_keys",
]

# PostgreSQL: the text search configuration, the table, its indexes, the function that
# computes the rows of a set of codes and the triggers that call it, then every code
# indexed.
POSTGRESQL_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # English stemming without the English stop words: "too", "own", "not" and "off"
    # tell errors apart ("upload too big").
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'errors_english_stem') THEN
            CREATE TEXT SEARCH DICTIONARY errors_english_stem
                (TEMPLATE = snowball, LANGUAGE = english);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'errors_search') THEN
            CREATE TEXT SEARCH CONFIGURATION errors_search (COPY = english);
            ALTER TEXT SEARCH CONFIGURATION errors_search
                ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
                WITH errors_english_stem;
        END IF;
    END $$""",
    """CREATE TABLE IF NOT EXISTS errors_search (
        error_id bigint PRIMARY KEY,
        keys text NOT NULL,
        strong tsvector NOT NULL,
        document tsvector NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS errors_search_document ON errors_search USING gin (document)",
    # The A and B fields alone, for queries of common words only.
    "CREATE INDEX IF NOT EXISTS errors_search_strong ON errors_search USING gin (strong)",
    (
        "CREATE INDEX IF NOT EXISTS errors_search_keys_trgm ON errors_search USING gin (keys "
        "gin_trgm_ops)"
    ),
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
    $$""",
    # Statement-level triggers see a whole bulk_create or queryset delete at once.
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
    "DROP TRIGGER IF EXISTS errors_search_code_insert ON errors_errorcode",
    """CREATE TRIGGER errors_search_code_insert AFTER INSERT ON errors_errorcode
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT
    EXECUTE FUNCTION errors_search_codes_changed()""",
    "DROP TRIGGER IF EXISTS errors_search_code_delete ON errors_errorcode",
    """CREATE TRIGGER errors_search_code_delete AFTER DELETE ON errors_errorcode
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT
    EXECUTE FUNCTION errors_search_codes_changed()""",
    # PostgreSQL allows no transition table with a column list: a row trigger, only
    # for updates of indexed fields.
    "DROP TRIGGER IF EXISTS errors_search_code_update ON errors_errorcode",
    """CREATE TRIGGER errors_search_code_update AFTER UPDATE OF code, code_key, aliases, title, summary, messages, description, resolution
    ON errors_errorcode FOR EACH ROW EXECUTE FUNCTION errors_search_code_updated()""",
    "DROP TRIGGER IF EXISTS errors_search_example_insert ON errors_example",
    """CREATE TRIGGER errors_search_example_insert AFTER INSERT ON errors_example
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT
    EXECUTE FUNCTION errors_search_examples_changed()""",
    "DROP TRIGGER IF EXISTS errors_search_example_delete ON errors_example",
    """CREATE TRIGGER errors_search_example_delete AFTER DELETE ON errors_example
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT
    EXECUTE FUNCTION errors_search_examples_changed()""",
    "DROP TRIGGER IF EXISTS errors_search_example_update ON errors_example",
    """CREATE TRIGGER errors_search_example_update AFTER UPDATE OF body, error_id
    ON errors_example FOR EACH ROW EXECUTE FUNCTION errors_search_examples_moved()""",
    # Index every code there already is.
    "TRUNCATE errors_search",
    "SELECT errors_search_refresh(ARRAY(SELECT id FROM errors_errorcode))",
]

POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS errors_search_code_insert ON errors_errorcode",
    "DROP TRIGGER IF EXISTS errors_search_code_delete ON errors_errorcode",
    "DROP TRIGGER IF EXISTS errors_search_code_update ON errors_errorcode",
    "DROP TRIGGER IF EXISTS errors_search_example_insert ON errors_example",
    "DROP TRIGGER IF EXISTS errors_search_example_delete ON errors_example",
    "DROP TRIGGER IF EXISTS errors_search_example_update ON errors_example",
    "DROP FUNCTION IF EXISTS errors_search_codes_changed()",
    "DROP FUNCTION IF EXISTS errors_search_code_updated()",
    "DROP FUNCTION IF EXISTS errors_search_examples_changed()",
    "DROP FUNCTION IF EXISTS errors_search_examples_moved()",
    "DROP FUNCTION IF EXISTS errors_search_refresh(bigint[])",
    "DROP TABLE IF EXISTS errors_search",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS errors_search",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS errors_english_stem",
]

FORWARD = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}
BACKWARD = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}


def _execute(connection, statements_by_vendor):
    with connection.cursor() as cursor:
        for statement in statements_by_vendor.get(connection.vendor, []):
            cursor.execute(statement)


def forwards(apps, schema_editor):
    _execute(schema_editor.connection, FORWARD)


def backwards(apps, schema_editor):
    _execute(schema_editor.connection, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0003_editors_group"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
