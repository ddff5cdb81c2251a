"""The few rows a page reads after each catalog write are found by an index, whatever the
size of the catalog: the codes a code replaces, each service's drafts (migration 0023)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from errors.models import ErrorCode, Service
from tests.factories import make_code
from tests.test_views import make_codes


def plan_of(queryset) -> str:
    """The database's plan of `queryset` after ANALYZE, with the plans that read a table
    whole left out on PostgreSQL (which reads a test's few rows whole any way)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        cursor.execute(prefix + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.fixture
def big(db):
    """A service of 300 codes, none replaced, and one code replaced by another."""
    service = Service.objects.create(slug="big", name="Big")
    make_codes(service, 300)
    new = make_code(service, "NEW_CODE")
    make_code(service, "OLD_CODE", replaced_by=new, lifecycle="deprecated")
    return new


def test_the_codes_a_code_replaces_are_read_by_their_index(big):
    # Every other code's replacement is empty: SQLite's statistics of an index of them
    # all said that one value stood for every row, and it scanned the table.
    plan = plan_of(big.replaces.visible_to(None).order_by("code"))
    assert "errorcode_replaced_by_idx" in plan, plan


def test_each_services_drafts_are_counted_in_their_index(big):
    make_code(Service.objects.get(slug="big"), "DRAFT", published=False)
    plan = plan_of(Service.objects.with_code_counts(AnonymousUser()))
    assert "errorcode_draft_idx" in plan, plan


def test_code_counts_leave_drafts_out_for_readers_alone(db, django_user_model):
    Service.objects.create(slug="empty", name="Empty")
    make_codes(Service.objects.create(slug="shop", name="Shop"), 5)
    ErrorCode.objects.filter(code__in=["CODE_0", "CODE_1"]).update(published=False)
    staff = django_user_model(is_staff=True, is_active=True)
    for user, shop_count in ((AnonymousUser(), 3), (staff, 5)):
        counts = {s.slug: s.code_count for s in Service.objects.with_code_counts(user)}
        assert counts == {"shop": shop_count, "empty": 0}
