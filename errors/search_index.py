"""The full-text index behind errors/search.py, kept in step by database triggers.

Triggers, not Python signals, keep the index right: the catalog importer writes with
`bulk_create`/`bulk_update` and deletes with querysets, none of which send signals.

- SQLite: two FTS5 tables keyed by the error code's id (their rowid):
  `errors_search_text` (porter-stemmed words, one column per field, examples included)
  and `errors_search_keys` (trigram-tokenised code and alias keys, for substrings and
  misspellings).
- PostgreSQL: `errors_search` (error_id, keys, strong, document) with a weighted
  `tsvector` (A: code/aliases/title, B: summary/messages, C: description/resolution,
  D: examples) under a GIN index, `strong` (A and B only) under another, and a pg_trgm
  GIN index over the keys.

A migration that rebuilds `errors_errorcode` on SQLite (any AlterField does) drops its
triggers with the old table, so `ensure_search_index` runs after every `migrate` and
puts them back, re-indexing if they were gone.
"""

from __future__ import annotations

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

# The fields written into the index: an UPDATE touching none of them leaves it alone.
INDEXED_COLUMNS = "code, code_key, aliases, title, summary, messages, description, resolution"

# SQLite has no regex: code_key() of an alias, approximated as models.code_key does it.
_SQLITE_ALIAS_KEYS = (
    "(SELECT group_concat(lower(replace(replace(replace(value, '_', ''), '-', ''), ' ', '')),"
    " ' ') FROM json_each({row}.aliases))"
)
_SQLITE_LIST = "(SELECT group_concat(value, ' ') FROM json_each({row}.{field}))"
_SQLITE_EXAMPLES = (
    "(SELECT group_concat(body, ' ') FROM errors_example WHERE error_id = {error_id})"
)


def _sqlite_text_values(row: str) -> str:
    return ", ".join(
        [
            f"{row}.code",
            _SQLITE_LIST.format(row=row, field="aliases"),
            f"{row}.title",
            f"{row}.summary",
            _SQLITE_LIST.format(row=row, field="messages"),
            f"{row}.description",
            f"{row}.resolution",
        ]
    )


def _sqlite_keys(row: str) -> str:
    return f"{row}.code_key || ' ' || coalesce({_SQLITE_ALIAS_KEYS.format(row=row)}, '')"


SQLITE_TEXT_COLUMNS = "code, aliases, title, summary, messages, description, resolution, examples"

SQLITE_TABLES = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS errors_search_text USING fts5("
    f"{SQLITE_TEXT_COLUMNS}, tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS errors_search_keys USING fts5(keys, tokenize = 'trigram')",
    # What search reads of each match, found by id without reading the wide row (its
    # texts span overflow pages): joining 3,500 matches drops from 14 ms to 3 ms.
    "CREATE INDEX IF NOT EXISTS errors_search_codes ON errors_errorcode "
    '(id, published, http_status, service_id, code_key, "order", lifecycle, category_id)',
]

SQLITE_TRIGGERS = {
    "errors_search_code_insert": f"""
        CREATE TRIGGER IF NOT EXISTS errors_search_code_insert
        AFTER INSERT ON errors_errorcode BEGIN
            INSERT INTO errors_search_text(rowid, {SQLITE_TEXT_COLUMNS})
            VALUES (NEW.id, {_sqlite_text_values("NEW")},
                    {_SQLITE_EXAMPLES.format(error_id="NEW.id")});
            INSERT INTO errors_search_keys(rowid, keys) VALUES (NEW.id, {_sqlite_keys("NEW")});
        END""",
    "errors_search_code_update": f"""
        CREATE TRIGGER IF NOT EXISTS errors_search_code_update
        AFTER UPDATE OF {INDEXED_COLUMNS} ON errors_errorcode BEGIN
            DELETE FROM errors_search_text WHERE rowid = OLD.id;
            DELETE FROM errors_search_keys WHERE rowid = OLD.id;
            INSERT INTO errors_search_text(rowid, {SQLITE_TEXT_COLUMNS})
            VALUES (NEW.id, {_sqlite_text_values("NEW")},
                    {_SQLITE_EXAMPLES.format(error_id="NEW.id")});
            INSERT INTO errors_search_keys(rowid, keys) VALUES (NEW.id, {_sqlite_keys("NEW")});
        END""",
    "errors_search_code_delete": """
        CREATE TRIGGER IF NOT EXISTS errors_search_code_delete
        AFTER DELETE ON errors_errorcode BEGIN
            DELETE FROM errors_search_text WHERE rowid = OLD.id;
            DELETE FROM errors_search_keys WHERE rowid = OLD.id;
        END""",
    "errors_search_example_insert": f"""
        CREATE TRIGGER IF NOT EXISTS errors_search_example_insert
        AFTER INSERT ON errors_example BEGIN
            UPDATE errors_search_text
            SET examples = {_SQLITE_EXAMPLES.format(error_id="NEW.error_id")}
            WHERE rowid = NEW.error_id;
        END""",
    "errors_search_example_update": f"""
        CREATE TRIGGER IF NOT EXISTS errors_search_example_update
        AFTER UPDATE OF body, error_id ON errors_example BEGIN
            UPDATE errors_search_text
            SET examples = {_SQLITE_EXAMPLES.format(error_id="OLD.error_id")}
            WHERE rowid = OLD.error_id;
            UPDATE errors_search_text
            SET examples = {_SQLITE_EXAMPLES.format(error_id="NEW.error_id")}
            WHERE rowid = NEW.error_id;
        END""",
    "errors_search_example_delete": f"""
        CREATE TRIGGER IF NOT EXISTS errors_search_example_delete
        AFTER DELETE ON errors_example BEGIN
            UPDATE errors_search_text
            SET examples = {_SQLITE_EXAMPLES.format(error_id="OLD.error_id")}
            WHERE rowid = OLD.error_id;
        END""",
}

SQLITE_REBUILD = [
    "DELETE FROM errors_search_text",
    "DELETE FROM errors_search_keys",
    f"""INSERT INTO errors_search_text(rowid, {SQLITE_TEXT_COLUMNS})
        SELECT e.id, {_sqlite_text_values("e")}, {_SQLITE_EXAMPLES.format(error_id="e.id")}
        FROM errors_errorcode e""",
    f"INSERT INTO errors_search_keys(rowid, keys) SELECT e.id, {_sqlite_keys('e')} "
    "FROM errors_errorcode e",
]

SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS),
    "DROP INDEX IF EXISTS errors_search_codes",
    # Word counts of the first version of search (migration search_speed drops it).
    "DROP TABLE IF EXISTS errors_search_vocab",
    "DROP TABLE IF EXISTS errors_search_text",
    "DROP TABLE IF EXISTS errors_search_keys",
]

# PostgreSQL: one function computes the row of a set of codes; triggers call it.
POSTGRES_SETUP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # English stemming without the English stop words: "too", "own", "not" and "off"
    # tell errors apart ("upload too big"); search.py drops the truly empty words.
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
    # The A and B fields alone: "all of these common words in a title, summary or
    # message" is answered from this index without reading every row back.
    "CREATE INDEX IF NOT EXISTS errors_search_strong ON errors_search USING gin (strong)",
    "CREATE INDEX IF NOT EXISTS errors_search_keys_trgm ON errors_search "
    "USING gin (keys gin_trgm_ops)",
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
    "DROP TRIGGER IF EXISTS errors_search_code_update ON errors_errorcode",
    # PostgreSQL allows no transition table with a column list: a row trigger, only
    # for updates of indexed fields (bulk_update of replaced_by does not re-index).
    f"""CREATE TRIGGER errors_search_code_update AFTER UPDATE OF {INDEXED_COLUMNS}
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
]

POSTGRES_REBUILD = [
    "TRUNCATE errors_search",
    "SELECT errors_search_refresh(ARRAY(SELECT id FROM errors_errorcode))",
]

POSTGRES_DROP = [
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


# search.py counts words with errors_search_text itself, stopping at what it needs:
# fts5vocab read every code of a word to count it.
SQLITE_TUNING = ["DROP TABLE IF EXISTS errors_search_vocab"]

POSTGRES_TUNING = [
    # A search reads a few thousand rows at most (search.MATCH_CAP): starting parallel
    # workers for it costs more than it saves (a Gather took 19 ms for a 9 ms scan at
    # 100,000 codes), and under load the workers wait for a CPU.
    "ALTER TABLE errors_search SET (parallel_workers = 0)",
    "ALTER TABLE errors_errorcode SET (parallel_workers = 0)",
    # What search reads of each code, without reading the wide rows (index-only scans):
    # by id for each match (a prefix matching 864 codes: 18 ms to 5 ms), and by status
    # for the codes a status filter lets through (`status:429 limit`: 19 ms to 8 ms).
    "CREATE INDEX IF NOT EXISTS errors_search_codes ON errors_errorcode (id) "
    'INCLUDE (published, http_status, service_id, code_key, "order", lifecycle, category_id)',
    "CREATE INDEX IF NOT EXISTS errors_search_status ON errors_errorcode (http_status) "
    'INCLUDE (published, id, service_id, code_key, "order", lifecycle, category_id)',
]

POSTGRES_UNTUNING = [
    "DROP INDEX IF EXISTS errors_search_status",
    "DROP INDEX IF EXISTS errors_search_codes",
    "ALTER TABLE errors_search RESET (parallel_workers)",
    "ALTER TABLE errors_errorcode RESET (parallel_workers)",
]


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install_search_index(connection: BaseDatabaseWrapper = default_connection) -> None:
    """Create the index tables and triggers (idempotent) and index every code."""
    if connection.vendor == "sqlite":
        _run(connection, [*SQLITE_TABLES, *SQLITE_TRIGGERS.values()])
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRES_SETUP)
    rebuild_search_index(connection)


def rebuild_search_index(connection: BaseDatabaseWrapper = default_connection) -> None:
    """Index every code from scratch (after a restore, or triggers that were dropped)."""
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_REBUILD)
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRES_REBUILD)


def remove_search_index(connection: BaseDatabaseWrapper = default_connection) -> None:
    """Drop the index tables, functions and triggers."""
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_DROP)
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRES_DROP)


def tune_search_tables(connection: BaseDatabaseWrapper = default_connection) -> None:
    """PostgreSQL: plan searches without parallel workers, index what they read of each
    code. SQLite: drop the word-count table search no longer reads."""
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_TUNING)
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRES_TUNING)


def untune_search_tables(connection: BaseDatabaseWrapper = default_connection) -> None:
    """Let PostgreSQL choose parallel workers again and drop its covering indexes (the
    SQLite word-count table is not put back: nothing reads it)."""
    if connection.vendor == "postgresql":
        _run(connection, POSTGRES_UNTUNING)


def ensure_search_index(connection: BaseDatabaseWrapper = default_connection) -> bool:
    """Put back triggers and the index a table rebuild dropped, re-indexing; True if
    it had to."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master "
            "WHERE type IN ('trigger', 'index') AND name LIKE %s",
            ["errors_search_%"],
        )
        (present,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'errors_search_text'")
        (tables,) = cursor.fetchone()
    if not tables or present == len(SQLITE_TRIGGERS) + 1:  # and the covering index
        return False
    install_search_index(connection)
    return True
