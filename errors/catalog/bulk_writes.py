"""Writing many rows at once, for the catalog import.

On PostgreSQL rows go in through `COPY`: Django's `bulk_create` sends them as one array
per column (`UNNEST`), and psycopg quotes every element of a text array in Python, one
regular-expression substitution per `"` or `\\`, which HTML and JSON are full of. COPY
sends the same rows through psycopg's C row formatter. It fires the same statement-level
triggers (search index, catalog version) as an INSERT. Other databases use `bulk_create`.

PostgreSQL also hands out ids before the rows exist (`reserve_ids`), so rows that point
at each other can be written in the order that is cheapest for the triggers.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router

BATCH_SIZE = 1000


def reserve_ids(model: type[models.Model], count: int) -> list[int] | None:
    """`count` new primary keys from the table's sequence, or None where the database
    hands ids out only as rows are inserted (SQLite)."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return None
    if count == 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_rows(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert new `objs` (all with a primary key, or all without) in as few statements as
    the database allows; like `bulk_create` it fills `auto_now` fields and sends no
    signals. Ids are set on the objects only where they were given (or on SQLite)."""
    if not objs:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        model._default_manager.using(alias).bulk_create(objs, batch_size=BATCH_SIZE)
        return
    with_pk = objs[0].pk is not None
    if any((obj.pk is not None) != with_pk for obj in objs):
        raise ValueError("insert_rows needs every object with a primary key or none with one.")
    fields = [
        field for field in model._meta.local_concrete_fields if with_pk or not field.primary_key
    ]
    columns = ", ".join(connection.ops.quote_name(field.column or "") for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row(
                [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
            )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
