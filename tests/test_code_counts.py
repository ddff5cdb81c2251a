"""Each service's code count, counted once per service version (errors.code_counts)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from errors.code_counts import counted_services
from errors.models import ErrorCode, Service
from tests.factories import make_code, make_service

pytestmark = pytest.mark.django_db


def counts(user=None) -> dict[str, int]:
    return {service.slug: service.code_count for service in counted_services(user)}


@pytest.fixture
def two(db):
    shop, bank = make_service("shop"), make_service("bank")
    for code in ("A", "B", "C"):
        make_code(shop, code)
    make_code(shop, "DRAFT", published=False)
    make_code(bank, "X")
    return shop, bank


def test_counts_what_each_viewer_may_see(two, django_user_model):
    staff = django_user_model.objects.create(username="editor", is_staff=True)
    assert counts() == {"shop": 3, "bank": 1}
    assert counts(staff) == {"shop": 4, "bank": 1}


def test_after_a_write_only_the_service_it_touched_is_counted_again(two):
    _, bank = two
    assert counts() == {"shop": 3, "bank": 1}
    with CaptureQueriesContext(connection) as unchanged:
        assert counts() == {"shop": 3, "bank": 1}
    assert len(unchanged) == 1  # the services with their versions; every count kept
    make_code(bank, "Y")
    with CaptureQueriesContext(connection) as after:
        assert counts() == {"shop": 3, "bank": 2}
    assert len(after) == 2
    assert f"IN ({bank.pk})" in after[1]["sql"]


@pytest.mark.parametrize(
    "write",
    [
        lambda shop: ErrorCode.objects.filter(service=shop, code="A").delete(),
        lambda shop: ErrorCode.objects.filter(service=shop, code="A").update(published=False),
        lambda shop: ErrorCode.objects.filter(service=shop, code="DRAFT").update(published=True),
        lambda shop: make_code(shop, "D"),
    ],
    ids=["deleted", "unpublished", "published", "added"],
)
def test_every_kind_of_write_is_counted(two, write):
    shop, _ = two
    counts()
    write(shop)
    expected = ErrorCode.objects.filter(service=shop, published=True).count()
    assert counts()["shop"] == expected


def test_a_service_without_its_version_row_is_counted_every_time(two):
    shop, _ = two
    counts()
    with connection.cursor() as cursor:  # as after a write made while triggers were missing
        cursor.execute("DELETE FROM errors_servicestate WHERE service_id = %s", [shop.pk])
    with CaptureQueriesContext(connection) as queries:
        assert counts()["shop"] == 3
    assert f"IN ({shop.pk})" in queries[1]["sql"]


def test_the_services_given_are_counted_in_their_order(two):
    listed = counted_services(None, Service.objects.order_by("-slug"))
    assert [(s.slug, s.code_count) for s in listed] == [("shop", 3), ("bank", 1)]
