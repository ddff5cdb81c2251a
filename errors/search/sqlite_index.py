"""SQLite's search index: two FTS5 tables (`errors_search_text`, porter-stemmed words in
weighted columns; `errors_search_keys`, trigram-tokenised code and alias keys), the
aliases' keys table, the triggers that keep them in step with the catalog, and how to
build each part again (errors.search.index). The queries over them are
errors.search.sqlite's."""

from __future__ import annotations

import re
from dataclasses import dataclass

from errors.search.engine import INDEXED_COLUMNS

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


# What errors.codes.code_key takes out of a key: `_`, `-` and every character Python's
# `\s` matches (tests/test_search.py checks the list against Python's).
KEY_SEPARATORS = (
    "_-\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _sqlite_alias_keys(row: str, *, every_code: bool = False) -> str:
    """SELECT of the (key, error_id) of each alias of `row` (NEW), or with `every_code`
    of every code (`row` naming each): each key as errors.codes.code_key makes it for an
    alias spelt in ASCII letters. SQLite's lower() folds those alone (search and lookup
    look up only ASCII keys in the aliases' table), and the Kelvin sign, the one other
    letter Python lowers to ASCII, is made its `k` first. The separators are taken out
    in two steps: SQLite's parser refuses some 30 calls nested in one."""

    def without(value: str, separators: str) -> str:
        for separator in separators:
            value = f"replace({value}, char({ord(separator)}), '')"
        return value

    half = len(KEY_SEPARATORS) // 2
    part = without("value", KEY_SEPARATORS[:half])
    key = f"lower(replace({without('part', KEY_SEPARATORS[half:])}, char(8490), 'k'))"
    source = f"errors_errorcode {row}, " if every_code else ""
    return (
        f"SELECT DISTINCT key, error_id FROM (SELECT {key} AS key, error_id FROM ("
        f"SELECT {part} AS part, {row}.id AS error_id FROM {source}json_each({row}.aliases) "
        f"WHERE {row}.aliases <> '[]')) WHERE key <> ''"
    )


def _examples_refreshed(error_id: str) -> str:
    """The statement that writes the examples of code `error_id` (a trigger's NEW or OLD
    column) into its search row again."""
    return (
        "UPDATE errors_search_text\n"
        f"            SET examples = {_SQLITE_EXAMPLES.format(error_id=error_id)}\n"
        f"            WHERE rowid = {error_id};"
    )


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
            {_examples_refreshed("NEW.error_id")}
        END""",
    "errors_search_example_update": f"""
        CREATE TRIGGER IF NOT EXISTS errors_search_example_update
        AFTER UPDATE OF body, error_id ON errors_example BEGIN
            {_examples_refreshed("OLD.error_id")}
            {_examples_refreshed("NEW.error_id")}
        END""",
    "errors_search_example_delete": f"""
        CREATE TRIGGER IF NOT EXISTS errors_search_example_delete
        AFTER DELETE ON errors_example BEGIN
            {_examples_refreshed("OLD.error_id")}
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


# The key of each alias (engine.ALIAS_KEYS, migration 0020): WITHOUT ROWID, the table is its
# primary key, a code's aliases together for the triggers; the key's index holds that
# key, so a lookup reads nothing else.
SQLITE_ALIAS_TABLES = [
    "CREATE TABLE IF NOT EXISTS errors_search_aliases (key TEXT NOT NULL, "
    "error_id INTEGER NOT NULL, PRIMARY KEY (error_id, key)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS errors_search_aliases_key ON errors_search_aliases (key)",
]


SQLITE_ALIAS_TRIGGERS = {
    "errors_search_alias_insert": f"""
        CREATE TRIGGER IF NOT EXISTS errors_search_alias_insert
        AFTER INSERT ON errors_errorcode WHEN NEW.aliases <> '[]' BEGIN
            INSERT INTO errors_search_aliases (key, error_id) {_sqlite_alias_keys("NEW")};
        END""",
    "errors_search_alias_update": f"""
        CREATE TRIGGER IF NOT EXISTS errors_search_alias_update
        AFTER UPDATE OF aliases ON errors_errorcode BEGIN
            DELETE FROM errors_search_aliases WHERE error_id = OLD.id;
            INSERT INTO errors_search_aliases (key, error_id) {_sqlite_alias_keys("NEW")};
        END""",
    "errors_search_alias_delete": """
        CREATE TRIGGER IF NOT EXISTS errors_search_alias_delete
        AFTER DELETE ON errors_errorcode BEGIN
            DELETE FROM errors_search_aliases WHERE error_id = OLD.id;
        END""",
}


SQLITE_ALIAS_REBUILD = [
    "DELETE FROM errors_search_aliases",
    f"INSERT INTO errors_search_aliases (key, error_id) {_sqlite_alias_keys('e', every_code=True)}",
]


@dataclass(frozen=True)
class IndexPart:
    """What one migration installed of the index (there once `table` is), and how to
    install it again: tables and indexes, triggers, and the statements that fill it."""

    table: str
    tables: list[str]
    triggers: dict[str, str]
    rebuild: list[str]

    @property
    def names(self) -> set[str]:
        """The names of its indexes and triggers."""
        indexes = (re.search(r"CREATE INDEX IF NOT EXISTS (\w+)", sql) for sql in self.tables)
        return {found.group(1) for found in indexes if found} | set(self.triggers)

    @property
    def statements(self) -> list[str]:
        """What installs the part, triggers and all, and indexes every code in it."""
        return [*self.tables, *self.triggers.values(), *self.rebuild]


# The index on SQLite: the full text and keys (migration 0004 and later), then the
# aliases' keys (0020).
SQLITE_INDEX_PARTS = (
    IndexPart("errors_search_text", SQLITE_TABLES, SQLITE_TRIGGERS, SQLITE_REBUILD),
    IndexPart(
        "errors_search_aliases", SQLITE_ALIAS_TABLES, SQLITE_ALIAS_TRIGGERS, SQLITE_ALIAS_REBUILD
    ),
)
