"""Every alias's key in a table of its own, `errors_search_aliases` (key, error_id), so
that search and lookup find the codes an alias names with one read of a b-tree.

They had been found in the trigram index of every code's keys, as a key after the first:
up to 2.7 ms on PostgreSQL and 3.5 ms on SQLite at 100,000 codes for a key that no alias
has (`alreadyexists`, `invoicenotfound`), since the index reads the codes holding each of
the key's common trigrams (`exi`, `ist`, ...) before any is checked, on every search of a
key of six letters or more.

Kept in step as the rest of the index is: by triggers on SQLite, by
errors_search_refresh (the keys it writes to errors_search, but the first) and the
truncate trigger's function on PostgreSQL. Every existing alias is written here.

The SQL is this migration's own: 0019's refresh function with the aliases written too,
and 0007's truncate function with their table emptied too.
"""

from django.db import migrations


def sqlite_alias_keys(row, every_code=False):
    """SELECT of the (key, error_id) of each alias of `row` (NEW), or with `every_code`
    of every code: each key as errors.codes.code_key made it when this was frozen, for an
    alias spelt in ASCII letters (SQLite's lower() folds those alone): `_`, `-` and what
    Python's `\\s` matches taken out, in two steps (SQLite's parser refuses some 30 calls
    nested in one), and the Kelvin sign made a `k`."""
    separators = (0x5F, 0x2D, 0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85)
    separators += (0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)

    def without(value, chosen):
        for separator in chosen:
            value = f"replace({value}, char({separator}), '')"
        return value

    half = len(separators) // 2
    part = without("value", separators[:half])
    key = f"lower(replace({without('part', separators[half:])}, char(8490), 'k'))"
    source = f"errors_errorcode {row}, " if every_code else ""
    return (
        f"SELECT DISTINCT key, error_id FROM (SELECT {key} AS key, error_id FROM ("
        f"SELECT {part} AS part, {row}.id AS error_id FROM {source}json_each({row}.aliases) "
        f"WHERE {row}.aliases <> '[]')) WHERE key <> ''"
    )


SQLITE_WRITE_ALIASES = (
    f"INSERT INTO errors_search_aliases (key, error_id) {sqlite_alias_keys('NEW')};"
)

SQLITE_FORWARD = [
    # WITHOUT ROWID: the table is its primary key (a code's aliases together, for the
    # triggers); the key's index holds the primary key, so a lookup reads nothing else.
    """CREATE TABLE IF NOT EXISTS errors_search_aliases (
        key TEXT NOT NULL,
        error_id INTEGER NOT NULL,
        PRIMARY KEY (error_id, key)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS errors_search_aliases_key ON errors_search_aliases (key)",
    f"""CREATE TRIGGER IF NOT EXISTS errors_search_alias_insert
        AFTER INSERT ON errors_errorcode WHEN NEW.aliases <> '[]' BEGIN
            {SQLITE_WRITE_ALIASES}
        END""",
    f"""CREATE TRIGGER IF NOT EXISTS errors_search_alias_update
        AFTER UPDATE OF aliases ON errors_errorcode BEGIN
            DELETE FROM errors_search_aliases WHERE error_id = OLD.id;
            {SQLITE_WRITE_ALIASES}
        END""",
    """CREATE TRIGGER IF NOT EXISTS errors_search_alias_delete
        AFTER DELETE ON errors_errorcode BEGIN
            DELETE FROM errors_search_aliases WHERE error_id = OLD.id;
        END""",
    "DELETE FROM errors_search_aliases",
    "INSERT INTO errors_search_aliases (key, error_id) " + sqlite_alias_keys("e", every_code=True),
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS errors_search_alias_insert",
    "DROP TRIGGER IF EXISTS errors_search_alias_update",
    "DROP TRIGGER IF EXISTS errors_search_alias_delete",
    "DROP TABLE IF EXISTS errors_search_aliases",
]

# 0019's function: the keys of each code, the space after each.
REFRESH_0019 = r"""CREATE OR REPLACE FUNCTION errors_search_refresh(ids bigint[]) RETURNS void
    LANGUAGE sql AS $$
        DELETE FROM errors_search WHERE error_id = ANY(ids)
            AND NOT EXISTS (SELECT 1 FROM errors_errorcode e WHERE e.id = error_id);
        INSERT INTO errors_search (error_id, keys, strong, document)
        SELECT id, keys, strong, strong || rest FROM (SELECT e.id,
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
        SET keys = EXCLUDED.keys, strong = EXCLUDED.strong, document = EXCLUDED.document;
    $$"""

# The same, writing the aliases' keys from the keys it writes (each after the first).
INSERT_KEYS = "INSERT INTO errors_search (error_id, keys, strong, document)"
UPSERT_END = "SET keys = EXCLUDED.keys, strong = EXCLUDED.strong, document = EXCLUDED.document;"
assert INSERT_KEYS in REFRESH_0019 and UPSERT_END in REFRESH_0019
REFRESH_WITH_ALIASES = REFRESH_0019.replace(
    INSERT_KEYS,
    "DELETE FROM errors_search_aliases WHERE error_id = ANY(ids);\n"
    f"        WITH written AS ({INSERT_KEYS}",
).replace(
    UPSERT_END,
    UPSERT_END[:-1] + "\n        RETURNING error_id, keys)\n"
    "        INSERT INTO errors_search_aliases (key, error_id)\n"
    "        SELECT DISTINCT k, w.error_id FROM written w,\n"
    "            unnest((string_to_array(rtrim(w.keys), ' '))[2:]) k WHERE k <> ''\n"
    # A refresh of the same code in another transaction, not yet committed when this
    # one deleted, has written the same keys.
    "        ON CONFLICT DO NOTHING;",
)

# 0007's function, and the same emptying the aliases' table too.
TRUNCATED_0007 = """CREATE OR REPLACE FUNCTION errors_search_codes_truncated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM errors_search;
        RETURN NULL;
    END $$"""
TRUNCATED_WITH_ALIASES = TRUNCATED_0007.replace(
    "DELETE FROM errors_search;",
    "DELETE FROM errors_search;\n        DELETE FROM errors_search_aliases;",
)

POSTGRESQL_FORWARD = [
    """CREATE TABLE IF NOT EXISTS errors_search_aliases (
        key text NOT NULL,
        error_id bigint NOT NULL,
        PRIMARY KEY (error_id, key)
    )""",
    # key first, with the id: a lookup reads the index alone (once VACUUM has marked the
    # pages all-visible).
    "CREATE INDEX IF NOT EXISTS errors_search_aliases_key ON errors_search_aliases (key, error_id)",
    REFRESH_WITH_ALIASES,
    TRUNCATED_WITH_ALIASES,
    "TRUNCATE errors_search_aliases",
    "INSERT INTO errors_search_aliases (key, error_id) "
    "SELECT DISTINCT k, s.error_id FROM errors_search s, "
    "unnest((string_to_array(rtrim(s.keys), ' '))[2:]) k WHERE k <> ''",
]

POSTGRESQL_BACKWARD = [
    REFRESH_0019,
    TRUNCATED_0007,
    "DROP TABLE IF EXISTS errors_search_aliases",
]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0019_search_keys_spaced"),
    ]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
        ),
    ]
