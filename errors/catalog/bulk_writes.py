"""Writing many rows at once, for the catalog import.

Django's `bulk_create` compiles a multi-row INSERT for every batch, one placeholder and
one prepared value at a time through its SQL compiler: at 100,000 codes that compiling
took a third of an import's time on SQLite. Here each row's values are prepared once by
the fields themselves and sent in a single statement the database runs row after row:

- on PostgreSQL through `COPY` (psycopg's C row formatter; `bulk_create`'s `UNNEST`
  arrays also cost a regular-expression substitution per `"` or `\\`, which HTML and
  JSON are full of), which fires the same statement-level triggers as an INSERT;
- on SQLite through `executemany` of one prepared INSERT into a temporary table, then
  one INSERT ... SELECT (`_insert_through_staging` says why).

Both hand out ids before the rows exist (`reserve_ids`), so rows that point at each
other can be written in the order that is cheapest for the triggers. Other databases
use `bulk_create`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

BATCH_SIZE = 1000


def reserve_ids(model: type[models.Model], count: int) -> list[int] | None:
    """`count` new primary keys for `model`'s rows, or None where the database hands ids
    out only as rows are inserted.

    PostgreSQL takes them from the table's sequence. SQLite, inside the import's write
    transaction (`BEGIN IMMEDIATE`: no other connection writes until it ends), takes
    those after the highest the table has ever handed out (AUTOINCREMENT's
    `sqlite_sequence`), which inserting them then moves past; outside one, a writer that
    took them meanwhile makes the insert fail rather than share an id.
    """
    connection = connections[router.db_for_write(model)]
    if connection.vendor not in ("postgresql", "sqlite"):
        return None
    if count == 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f"coalesce((SELECT max({connection.ops.quote_name(column or '')}) "
            f"FROM {connection.ops.quote_name(table)}), 0))",
            [table],
        )
        top = cursor.fetchone()[0]
        return list(range(top + 1, top + 1 + count))


# SQLite's page cache while an import writes, in KiB: the default 2 MB holds little of
# the indexes an import adds to (codes, search, history), which it then reads again from
# the operating system page by page. 100,000 codes: 33.7 s -> 31.3 s.
IMPORT_PAGE_CACHE_KIB = 64 * 1024


@contextmanager
def import_page_cache(alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """On SQLite, give the connection a page cache of `IMPORT_PAGE_CACHE_KIB` inside,
    and its own size back after (other databases: nothing)."""
    connection = connections[alias]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])  # KiB if negative, else pages
        cursor.execute("PRAGMA page_size")
        before_kib = -before if before < 0 else before * int(cursor.fetchone()[0]) // 1024
        cursor.execute(f"PRAGMA cache_size = {-max(IMPORT_PAGE_CACHE_KIB, before_kib)}")
    try:
        yield
    finally:
        # Through the driver's own connection: after a failed statement Django refuses
        # its cursors until the rollback, and must not hide that failure behind its own.
        connection.connection.execute(f"PRAGMA cache_size = {before}")


def insert_rows(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert new `objs` (all with a primary key, or all without) in as few statements as
    the database allows; like `bulk_create` it fills `auto_now` fields and sends no
    signals. Ids are set on the objects only where they were given (or where
    `bulk_create` sets them)."""
    if not objs:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor not in ("postgresql", "sqlite"):
        model._default_manager.using(alias).bulk_create(objs, batch_size=BATCH_SIZE)
        return
    with_pk = objs[0].pk is not None
    if any((obj.pk is not None) != with_pk for obj in objs):
        raise ValueError("insert_rows needs every object with a primary key or none with one.")
    fields = _written_fields(model, with_pk)
    _write(model, fields, map(RowValues(fields, connection), objs), connection)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


def insert_values(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert new rows given as values by field `attname` (`error_id`, not `error`),
    without a model instance for each: making one costs 5-7 µs a row, as much as
    writing it, and the import writes a revision and the examples of every code.

    A field left out of a row takes its default; `auto_now` fields get the one time of
    the call. The primary key is given (not None) in every row or in none. Values are
    prepared by the fields, as `insert_rows` and `bulk_create` prepare them. Only for
    models whose fields store the value they are given (no file fields)."""
    if not rows:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    pk_name = model._meta.pk.attname
    with_pk = rows[0].get(pk_name) is not None
    if any((row.get(pk_name) is not None) != with_pk for row in rows):
        raise ValueError("insert_values needs a primary key in every row or in none.")
    if connection.vendor not in ("postgresql", "sqlite"):
        objs = [model(**row) for row in rows]
        model._default_manager.using(alias).bulk_create(objs, batch_size=BATCH_SIZE)
        return
    fields = _written_fields(model, with_pk)
    known = {field.attname for field in model._meta.concrete_fields}
    for row in rows:
        if unknown := row.keys() - known:
            raise ValueError(f"{model.__name__} has no field {sorted(unknown)[0]!r}.")
    _write(model, fields, map(RowValues(fields, connection, mappings=True), rows), connection)


def _written_fields(model: type[models.Model], with_pk: bool) -> list[models.Field]:
    return [
        field for field in model._meta.local_concrete_fields if with_pk or not field.primary_key
    ]


def _write(
    model: type[models.Model],
    fields: Sequence[models.Field],
    rows: Iterable[list[Any]],
    connection: BaseDatabaseWrapper,
) -> None:
    columns = ", ".join(connection.ops.quote_name(field.column or "") for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    # Django's own error classes (IntegrityError, ...), as for its queries: psycopg's
    # COPY is not run through the cursor wrapper that translates them.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            _insert_through_staging(cursor, connection, model, columns, len(fields), rows)


def _insert_through_staging(
    cursor: Any,
    connection: BaseDatabaseWrapper,
    model: type[models.Model],
    columns: str,
    width: int,
    rows: Iterable[list[Any]],
) -> None:
    """SQLite: the rows go into a temporary table of the same columns, then into the
    table in one INSERT ... SELECT. Each statement that fires a trigger writing to the
    full-text index makes FTS5 flush what it holds to disk at the statement's
    savepoint, so an `executemany` of one row at a time wrote a tiny index segment per
    code and merged them again: three times the index's work (0.12 s against 0.04 s a
    thousand codes at 100,000 codes). The copy costs a few milliseconds a thousand rows.
    The temporary table keeps each column's affinity, so values are stored as they
    would have been."""
    table = connection.ops.quote_name(model._meta.db_table)
    staging = "temp." + connection.ops.quote_name(f"{model._meta.db_table}_staging")
    placeholders = ", ".join(["%s"] * width)
    cursor.execute(f"DROP TABLE IF EXISTS {staging}")
    cursor.execute(f"CREATE TEMP TABLE {staging} AS SELECT {columns} FROM {table} WHERE 0")
    try:
        cursor.executemany(f"INSERT INTO {staging} ({columns}) VALUES ({placeholders})", rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} ORDER BY rowid"
        )
    finally:
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")


class RowValues:
    """A row's values as the database takes them, field by field, prepared by the
    fields themselves (`get_db_prep_save`), as `bulk_create` would. A row is a model
    instance, or with `mappings` a mapping of values by `attname` (a field left out
    takes its default).

    Every row gets the same time in its `auto_now`/`auto_now_add` fields, as the rows of
    one INSERT would. A scalar that repeats from row to row (the import's one time, a
    service's id, an order, a flag) is prepared once for its field: Django's
    preparation costs 2-6 µs a value, and a code's row has a dozen such values.
    """

    def __init__(
        self,
        fields: Sequence[models.Field],
        connection: BaseDatabaseWrapper,
        *,
        mappings: bool = False,
    ) -> None:
        self.fields = fields
        self.connection = connection
        self.mappings = mappings
        self.now = timezone.now()
        self.stamped = [
            getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            for field in fields
        ]
        self.prepared: dict[tuple[int, type, object], Any] = {}
        self.plain = [_reads_plainly(field) for field in fields]
        self.text = [_keeps_strings(field) for field in fields]
        self.json = [_adapts_json(field) for field in fields]
        self.ints = [_keeps_ints(field) for field in fields]
        # PostgreSQL parses a jsonb column's text itself, and SQLite keeps the text that
        # its JSON functions and Django's `json.loads` read: any JSON text of the value
        # stores the same value as Django's `json.dumps` (with no encoder of the field's).
        self.as_orjson = [
            json and connection.vendor in ("postgresql", "sqlite") and field.encoder is None  # type: ignore[attr-defined]
            for json, field in zip(self.json, fields, strict=True)
        ]
        if mappings:
            for field, stamped, plain in zip(fields, self.stamped, self.plain, strict=True):
                if not (stamped or plain or _dates_plainly(field)):
                    raise ValueError(
                        f"{field.name} prepares its value on save: give model instances."
                    )

    def __call__(self, row: Any) -> list[Any]:
        values: list[Any] = []
        value: Any
        for position, field in enumerate(self.fields):
            if self.stamped[position]:
                if not self.mappings:
                    setattr(row, field.attname, self.now)
                value = self.now
            elif self.mappings:
                value = row[field.attname] if field.attname in row else field.get_default()
            elif self.plain[position]:
                value = getattr(row, field.attname)
            else:
                value = field.pre_save(row, True)
            if self.text[position] and type(value) is str:
                values.append(value)  # what Django's preparation would give: the string
            elif self.json[position] and type(value) in (list, dict):
                values.append(self._json(value, field, self.as_orjson[position]))
            elif self.ints[position] and type(value) is int:
                values.append(value)  # the number Django's preparation would give
            elif type(value) in REPEATING and not field.primary_key:
                key = (position, type(value), value)
                if key not in self.prepared:
                    self.prepared[key] = field.get_db_prep_save(value, self.connection)
                values.append(self.prepared[key])
            else:
                values.append(field.get_db_prep_save(value, self.connection))
        return values

    def _json(self, value: list | dict, field: models.Field, as_orjson: bool) -> Any:
        """What Django's preparation of a list or dict would store, without its three
        layers: the text of orjson, 4-5 times as fast as `json.dumps` (a fifth of an
        import's Python time on PostgreSQL went to JSON: a code's aliases, messages and
        forms, a revision's entry; on SQLite, 2-4 s of a 100,000-code import's 26). On
        SQLite the text is compact and keeps non-ASCII letters as they are, where
        `json.dumps` spaces and escapes them: the same value to SQLite's JSON functions
        and to `json.loads`, and nothing compares the text. What orjson refuses (keys
        that are not strings, integers past 64 bits, a datetime) goes to Django, which
        writes it or raises as it would. They differ only on values that `json.dumps`
        refuses or PostgreSQL rejects: orjson writes a UUID and an Enum that is not a str
        or an int (as its value), and NaN or infinity as null, where Django's path
        raises. The catalog's files hold none (their JSON is JSON)."""
        if as_orjson:
            try:
                return orjson.dumps(value, option=JSONB_OPTIONS).decode()
            except TypeError:
                pass
        return self.connection.ops.adapt_json_value(value, field.encoder)  # type: ignore[attr-defined]


# Dates, times and dataclasses to Django's path (orjson would write them; json.dumps
# refuses them).
JSONB_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _reads_plainly(field: models.Field) -> bool:
    """Whether the field's `pre_save` is Django's plain one: the attribute's value."""
    return type(field).pre_save is models.Field.pre_save


def _dates_plainly(field: models.Field) -> bool:
    """Whether the field is a date or time field without `auto_now`/`auto_now_add`,
    whose `pre_save` (Django's own) is then the attribute's value."""
    own = (models.DateField.pre_save, models.DateTimeField.pre_save, models.TimeField.pre_save)
    return type(field).pre_save in own and not (
        getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    )


def _keeps_strings(field: models.Field) -> bool:
    """Whether Django's preparation of the field gives back any `str` as it is: a
    CharField or TextField (or a subclass, such as SlugField) that overrides none of the
    steps (`get_db_prep_save` -> `get_db_prep_value` -> `get_prep_value` ->
    `to_python`, which answers a string itself). A text costs Django about 0.5 µs to
    prepare, and a code's row holds a dozen."""
    kind = type(field)
    bases = (models.CharField, models.TextField)
    text = next((base for base in bases if isinstance(field, base)), None)
    return (
        text is not None
        and kind.get_db_prep_save is models.Field.get_db_prep_save
        and kind.get_db_prep_value is models.Field.get_db_prep_value
        and kind.get_prep_value is text.get_prep_value
        and kind.to_python is text.to_python
    )


def _keeps_ints(field: models.Field) -> bool:
    """Whether Django's preparation of the field gives back any `int` as the same number:
    an integer field, an auto field or a foreign key to one, that overrides none of the
    steps. (On PostgreSQL Django wraps it in psycopg's Int8 and the like, which COPY
    writes as the same digits.) Ids and the foreign keys to them never repeat, and cost
    Django 1-2 µs each."""
    if isinstance(field, models.ForeignKey):
        if type(field).get_db_prep_save is not models.ForeignKey.get_db_prep_save:
            return False
        field = field.target_field
    kind = type(field)
    return (
        isinstance(field, models.IntegerField)
        and kind.get_db_prep_save in INT_PREP_SAVES
        and kind.get_db_prep_value in INT_PREP_VALUES
        and kind.get_prep_value is models.IntegerField.get_prep_value
        and kind.to_python is models.IntegerField.to_python
    )


# Django's own steps that give an int back as it is: an auto field's too, which on
# Django 6 has a `get_db_prep_save` of its own (it also checks the value as an id).
_AUTO = models.fields.AutoFieldMixin
INT_PREP_SAVES = (models.Field.get_db_prep_save, getattr(_AUTO, "get_db_prep_save", None))
INT_PREP_VALUES = (models.IntegerField.get_db_prep_value, _AUTO.get_db_prep_value)


def _adapts_json(field: models.Field) -> bool:
    """Whether the field is a JSONField whose preparation of a list or a dict is
    Django's own: `connection.ops.adapt_json_value(value, field.encoder)`."""
    kind = type(field)
    return (
        isinstance(field, models.JSONField)
        and kind.get_db_prep_save is models.JSONField.get_db_prep_save
        and kind.get_db_prep_value is models.JSONField.get_db_prep_value
        and kind.get_prep_value is models.Field.get_prep_value
    )


# Scalar types whose values are prepared once per field and value (primary keys, which
# never repeat, are prepared each time).
REPEATING = frozenset({int, bool, datetime, UUID, type(None)})
