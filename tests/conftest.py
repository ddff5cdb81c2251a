"""Fixtures shared by the test modules."""

from __future__ import annotations

import textwrap

import pytest
from django.core.cache import cache

from errors.catalog.files import parse_catalog
from errors.catalog.importer import load_demo_catalogs
from errors.versioned_cache import clear_all


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with empty caches: a rolled-back test leaves the catalog version
    where it was, so answers cached under it must not leak into the next test."""
    cache.clear()
    clear_all()
    yield
    cache.clear()
    clear_all()


@pytest.fixture
def demo(db):
    """The six bundled demo catalogs, imported."""
    return load_demo_catalogs()


def catalog_text(body: str) -> str:
    """Dedent an inline YAML catalog written in a test."""
    return textwrap.dedent(body).lstrip()


MINIMAL = catalog_text(
    """
    service:
      slug: shop
      name: Shop
      envelope:
        code_pointer: /error/code
        status_pointer: /status
    categories:
      - {slug: auth, name: Authentication errors}
    errors:
      - code: NOT_FOUND
        http_status: 404
        category: auth
        title: Not found
        summary: The thing is not there
        examples:
          - body: '{"error": {"code": "NOT_FOUND"}, "status": 404}'
      - code: OLD_NAME
        http_status: 404
        lifecycle: deprecated
        replaced_by: NOT_FOUND
    guides:
      - {slug: retries, title: Retries, body: "Retry **later**."}
    """
)


@pytest.fixture
def minimal_catalog():
    """A small valid catalog file, parsed."""
    return parse_catalog(MINIMAL, "shop.yaml")
