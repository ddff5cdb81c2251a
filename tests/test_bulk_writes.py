"""Writing many rows at once: COPY on PostgreSQL, bulk_create elsewhere, same results."""

from __future__ import annotations

import pytest
from django.db import connection

from errors.catalog.bulk_writes import insert_rows, reserve_ids
from errors.catalog_version import catalog_version
from errors.models import ErrorCode, Example

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"


def test_reserved_ids_are_new_and_distinct():
    ids = reserve_ids(ErrorCode, 3)
    if not POSTGRES:
        assert ids is None  # SQLite hands ids out as rows are inserted
        return
    assert len(set(ids)) == 3
    assert not ErrorCode.objects.filter(pk__in=ids).exists()


def test_inserted_rows_read_back_with_every_field(shop):
    error = ErrorCode(service=shop, code="A", title="A", aliases=['a "quoted"\ttab\\'])
    error.render_html()
    insert_rows(ErrorCode, [error])
    row = ErrorCode.objects.get(code="A")
    assert row.aliases == ['a "quoted"\ttab\\']
    assert row.created_at is not None and row.updated_at is not None
    assert not error._state.adding


def test_rows_with_reserved_ids_keep_them(shop):
    ids = reserve_ids(ErrorCode, 2)
    if ids is None:
        pytest.skip("only PostgreSQL reserves ids")
    errors = [
        ErrorCode(service=shop, code=code, title=code, pk=pk)
        for code, pk in zip("AB", ids, strict=True)
    ]
    insert_rows(ErrorCode, errors)
    assert sorted(ErrorCode.objects.values_list("pk", flat=True)) == sorted(ids)


def test_examples_written_before_their_codes_are_searchable(shop):
    """The order the importer uses on PostgreSQL: the code's insert indexes its examples."""
    ids = reserve_ids(ErrorCode, 1)
    if ids is None:
        pytest.skip("only PostgreSQL reserves ids")
    error = ErrorCode(service=shop, code="X", title="X", pk=ids[0], published=True)
    insert_rows(Example, [Example(error=error, body="wombat", description_html="", body_html="")])
    insert_rows(ErrorCode, [error])
    from errors.search.execute import search_errors
    from errors.search.query import parse_query

    assert [hit.error.code for hit in search_errors(parse_query("wombat")).hits] == ["X"]


def test_insert_bumps_the_catalog_version(shop):
    before = catalog_version()
    insert_rows(ErrorCode, [ErrorCode(service=shop, code="A", title="A")])
    assert catalog_version() != before


def test_mixing_rows_with_and_without_ids_is_refused(shop):
    if not POSTGRES:
        pytest.skip("bulk_create decides this itself on SQLite")
    with pytest.raises(ValueError):
        insert_rows(
            ErrorCode,
            [ErrorCode(service=shop, code="A", pk=10**6), ErrorCode(service=shop, code="B")],
        )
