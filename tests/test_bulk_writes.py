"""Writing many rows at once: COPY on PostgreSQL, a staged INSERT on SQLite, same results."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.utils.timezone import now

from errors.catalog.bulk_writes import RowValues, insert_rows, insert_values, reserve_ids
from errors.catalog_version import catalog_version
from errors.models import ErrorCode, ErrorCodeRevision, Example
from errors.search.execute import search_errors
from errors.search.query import parse_query

pytestmark = pytest.mark.django_db


def test_reserved_ids_are_new_and_distinct(shop):
    ErrorCode.objects.create(service=shop, code="OLD", title="Old")
    ids = reserve_ids(ErrorCode, 3)
    assert ids is not None and len(set(ids)) == 3
    assert not ErrorCode.objects.filter(pk__in=ids).exists()
    assert min(ids) > ErrorCode.objects.get(code="OLD").pk


def test_reserved_ids_never_reuse_a_deleted_codes_id(shop):
    """As ids handed out by an insert (AUTOINCREMENT on SQLite, a sequence on
    PostgreSQL): a deleted code's id is not given to a new one."""
    deleted = ErrorCode.objects.create(service=shop, code="GONE", title="Gone")
    deleted_pk = deleted.pk
    deleted.delete()
    ids = reserve_ids(ErrorCode, 2)
    assert ids is not None and min(ids) > deleted_pk


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
    assert ids is not None
    errors = [
        ErrorCode(service=shop, code=code, title=code, pk=pk)
        for code, pk in zip("AB", ids, strict=True)
    ]
    insert_rows(ErrorCode, errors)
    assert sorted(ErrorCode.objects.values_list("pk", flat=True)) == sorted(ids)


def test_examples_written_before_their_codes_are_searchable(shop):
    """The order the importer uses: the code's insert indexes its examples."""
    ids = reserve_ids(ErrorCode, 1)
    assert ids is not None
    error = ErrorCode(
        service=shop, code="X_CODE", title="X", pk=ids[0], published=True, aliases=["LEGACY_X"]
    )
    error.render_html()
    insert_rows(Example, [Example(error=error, body="wombat", description_html="", body_html="")])
    insert_rows(ErrorCode, [error])

    assert codes_found("wombat") == ["X_CODE"]  # its example's words
    assert codes_found("x_code") == ["X_CODE"]  # its code
    assert codes_found("legacy_x") == ["X_CODE"]  # its alias


def codes_found(text: str) -> list[str]:
    return [hit.error.code for hit in search_errors(parse_query(text)).hits]


def test_values_are_stored_as_the_fields_say(shop):
    """SQLite's staging table keeps each column's affinity: a code of digits stays text,
    a missing status stays NULL, JSON stays JSON."""
    error = ErrorCode(service=shop, code="404", title="Digits", http_status=None, tags=["a"])
    error.render_html()
    insert_rows(ErrorCode, [error])
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT typeof(code), typeof(http_status) FROM errors_errorcode WHERE code = '404'"
            )
            assert cursor.fetchone() == ("text", "null")
    row = ErrorCode.objects.get(code="404")
    assert (row.http_status, row.tags) == (None, ["a"])


def test_a_refused_insert_leaves_the_next_one_working(shop):
    """A row the table refuses (a code already in the service) raises, leaves no row and
    no staging table behind, and the next insert goes through."""
    ErrorCode.objects.create(service=shop, code="TAKEN", title="Taken")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(ErrorCode, [ErrorCode(service=shop, code="taken", title="Again")])
    insert_rows(ErrorCode, [ErrorCode(service=shop, code="FREE", title="Free")])
    assert sorted(ErrorCode.objects.values_list("code", flat=True)) == ["FREE", "TAKEN"]


def test_insert_bumps_the_catalog_version(shop):
    before = catalog_version()
    insert_rows(ErrorCode, [ErrorCode(service=shop, code="A", title="A")])
    assert catalog_version() != before


def test_mixing_rows_with_and_without_ids_is_refused(shop):
    with pytest.raises(ValueError):
        insert_rows(
            ErrorCode,
            [ErrorCode(service=shop, code="A", pk=10**6), ErrorCode(service=shop, code="B")],
        )


def test_rows_given_as_values_are_stored_as_instances_would_be(shop):
    """insert_values takes rows by attname and stores what insert_rows stores for the
    same values, defaults filled in for the fields left out."""
    error = ErrorCode.objects.create(service=shop, code="HELD", title="Held")
    body = '{"error": {"code": "HELD"}}'
    through_model = Example(error=error, order=0, title="one", body=body, language="json")
    through_model.render_html()
    insert_rows(Example, [through_model])
    rendered = Example.rendered("", "json", body)
    insert_values(
        Example, [{"error_id": error.pk, "order": 1, "title": "one", "body": body, **rendered}]
    )
    first, second = Example.objects.filter(error=error).order_by("order")
    fields = ("title", "description", "description_html", "language", "body", "body_html", "shape")
    assert [getattr(second, name) for name in fields] == [getattr(first, name) for name in fields]
    assert second.shape  # worked out from the JSON body


def test_values_left_out_take_the_fields_defaults(shop):
    insert_values(
        ErrorCodeRevision,
        [{"service_id": shop.pk, "code": "A", "action": "added"}] * 2,
    )
    first, second = ErrorCodeRevision.objects.order_by("pk")
    assert (first.source, first.changes, first.snapshot, first.error_id) == ("admin", {}, {}, None)
    assert first.created_at is not None
    assert first.batch != second.batch  # a callable default is called for every row


def test_rows_with_a_field_the_model_lacks_are_refused_whole(shop):
    with pytest.raises(ValueError, match="no field 'colour'"):
        insert_values(
            ErrorCodeRevision,
            [
                {"service_id": shop.pk, "code": "A", "action": "added"},
                {"service_id": shop.pk, "code": "B", "action": "added", "colour": "red"},
            ],
        )
    assert not ErrorCodeRevision.objects.exists()


def test_values_need_an_id_in_every_row_or_in_none(shop):
    with pytest.raises(ValueError, match="every row or in none"):
        insert_values(
            ErrorCodeRevision,
            [
                {"id": 10**6, "service_id": shop.pk, "code": "A", "action": "added"},
                {"service_id": shop.pk, "code": "B", "action": "added"},
            ],
        )


def test_a_field_that_prepares_its_value_on_save_needs_instances():
    class Stamped(models.CharField):
        def pre_save(self, model_instance, add):
            return "made on save"

    field = Stamped(max_length=20)
    field.set_attributes_from_name("stamp")
    with pytest.raises(ValueError, match="give model instances"):
        RowValues([field], connection, mappings=True)
    RowValues([field], connection)  # instances: its pre_save is called


@pytest.mark.parametrize(
    "value",
    [
        {"text": 'a "quoted"\ttab\\ ü ☃', "list": [1, 2.5, None, True, -(2**63)]},
        {1: "a key that is not a string", "nested": {"empty": {}}},  # Django's json.dumps
        [2**70, "an integer past 64 bits"],  # and this, which orjson refuses, go to Django
    ],
)
def test_json_values_are_stored_as_djangos_json_would_store_them(shop, value):
    insert_values(
        ErrorCodeRevision,
        [{"service_id": shop.pk, "code": "A", "action": "added", "snapshot": value}],
    )
    assert ErrorCodeRevision.objects.get().snapshot == json.loads(json.dumps(value))


@dataclass
class Point:
    x: int


@pytest.mark.parametrize("refused", [now(), Point(1)])
def test_a_json_value_django_refuses_is_refused(shop, refused):
    with pytest.raises(TypeError, match="not JSON serializable"):
        insert_values(
            ErrorCodeRevision,
            [{"service_id": shop.pk, "code": "A", "action": "added", "snapshot": {"at": refused}}],
        )


def test_a_primary_key_of_none_is_no_primary_key(shop):
    insert_values(
        ErrorCodeRevision,
        [{"id": None, "service_id": shop.pk, "code": code, "action": "added"} for code in "AB"],
    )
    assert sorted(ErrorCodeRevision.objects.values_list("code", flat=True)) == ["A", "B"]
