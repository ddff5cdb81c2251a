"""tests.factories: what the tests start from is what the portal's own code writes."""

from __future__ import annotations

import pytest
from django.db import models

from errors.catalog.importer import load_demo_catalogs
from errors.identify import identify
from errors.models import ErrorCode, Service
from errors.search.execute import search_errors
from errors.search.query import parse_query
from tests import factories

pytestmark = pytest.mark.django_db


def catalog_state() -> dict:
    """Every demo table's rows (but their ids, which differ between two imports on
    PostgreSQL, the times they were written and the import batch's random id), and what
    search and identify answer from the indexes the triggers keep (which names the codes
    the relations lead to)."""
    rows = {}
    for model in factories.DEMO_MODELS:
        left_out = {
            field.attname
            for field in model._meta.fields
            if isinstance(
                field,
                models.DateTimeField | models.AutoField | models.ForeignKey | models.UUIDField,
            )
        }
        rows[model.__name__] = [
            {name: value for name, value in row.items() if name not in left_out}
            for row in model._default_manager.order_by("pk").values()
        ]
    found = [
        [(hit.error.service.slug, hit.error.code) for hit in search_errors(parse_query(text)).hits]
        for text in ("rate limit", "not found", "SourceNotVerified", "429", "token expired")
    ]
    identified = [
        [(item.error.service.slug, item.error.code) for item in identify(body, status=status)]
        for body, status in [
            ({"error": {"code": "not_found", "message": "Workspace 42 not found"}}, 404),
            ({"detail": "Too many requests."}, 429),
        ]
    ]
    relations = sorted(
        (code.service.slug, code.code, str(code.category), str(code.replaced_by))
        for code in ErrorCode.objects.select_related("service", "category", "replaced_by")
    )
    return {"rows": rows, "search": found, "identify": identified, "relations": relations}


def test_the_demo_written_back_is_the_demo_imported():
    captured = factories.capture_demo()  # rolled back: the catalog is empty again
    assert not Service.objects.exists()
    written_report = factories.load_demo(captured)
    written = catalog_state()
    Service.objects.all().delete()  # the codes, examples, guides and revisions with them
    assert load_demo_catalogs() == written_report
    assert catalog_state() == written
    assert sum(len(rows) for rows in written["rows"].values()) > 250
    assert all(written["search"]) and all(written["identify"])


def test_a_catalog_with_rows_of_its_own_imports_the_demo(shop):
    factories.load_demo(factories.DemoRows([], []))  # rows that would be wrong: not used
    assert Service.objects.count() == 7
