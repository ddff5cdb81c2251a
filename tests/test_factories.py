"""tests.factories: what the tests start from is what the portal's own code writes."""

from __future__ import annotations

import pytest
from django.db import models

from errors.identify import identify
from errors.models import Service
from errors.search.execute import search_errors
from errors.search.query import parse_query
from tests import factories

pytestmark = pytest.mark.django_db


def catalog_state() -> dict:
    """Every demo table's rows (but the times they were written), and what search and
    identify answer from the indexes the triggers keep."""
    rows = {}
    for model in factories.DEMO_MODELS:
        times = {f.attname for f in model._meta.fields if isinstance(f, models.DateTimeField)}
        rows[model.__name__] = [
            {name: value for name, value in row.items() if name not in times}
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
    return {"rows": rows, "search": found, "identify": identified}


def test_the_demo_written_back_is_the_demo_imported(monkeypatch):
    monkeypatch.setattr(factories, "_demo_rows", None)
    imported_report = factories.load_demo()  # imported, and its rows kept
    imported = catalog_state()
    Service.objects.all().delete()  # the codes, examples, guides and revisions with them
    assert factories.load_demo() == imported_report  # written back
    assert catalog_state() == imported
    assert sum(len(rows) for rows in imported["rows"].values()) > 250
    assert all(imported["search"]) and all(imported["identify"])


def test_a_catalog_with_rows_of_its_own_imports_the_demo(shop, monkeypatch):
    monkeypatch.setattr(factories, "_demo_rows", None)
    factories.load_demo()
    assert factories._demo_rows is None  # nothing kept: these rows are not the demo's alone
    assert Service.objects.count() == 7
