"""Fixtures shared by the test modules, built from tests/factories.py."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from errors.catalog.files import parse_catalog
from errors.catalog.importer import load_demo_catalogs
from errors.versioned_cache import clear_all
from tests.factories import (  # noqa: F401 - MINIMAL and catalog_text: test modules import them from here
    MINIMAL,
    capture_demo,
    catalog_text,
    import_minimal,
    load_demo,
    make_editor,
    make_service,
    make_user,
)


def forget_process_caches() -> None:
    """Empty Django's cache and every in-process cache keyed by the catalog version.

    A rolled-back test leaves the version where it was, so the next test's first write
    reaches a version an earlier test already cached under: the page cache, the rate
    limits, and what errors.versioned_cache holds (identify's matchers and entries,
    search's word statistics, the API's replayed answers) would serve that test's catalog.
    """
    cache.clear()
    clear_all()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts, and leaves, with empty caches (see forget_process_caches)."""
    forget_process_caches()
    yield
    forget_process_caches()


# --------------------------------------------------------------------------- catalogs


@pytest.fixture(scope="session")
def demo_rows(django_db_setup, django_db_blocker):
    """What importing the demo catalogs writes, captured once per test process, before any
    test could patch what an import does (tests.factories.capture_demo)."""
    with django_db_blocker.unblock():
        return capture_demo()


@pytest.fixture
def demo(db, demo_rows):
    """The six bundled demo catalogs, imported (tests.factories.load_demo)."""
    return load_demo(demo_rows)


@pytest.fixture
def minimal_catalog():
    """A small valid catalog file, parsed."""
    return parse_catalog(MINIMAL, "shop.yaml")


@pytest.fixture
def shop(db):
    """An empty service, shop, whose codes sit at /error/code."""
    return make_service()


@pytest.fixture
def not_found(db):
    """The NOT_FOUND code of MINIMAL, imported as shop.yaml (with OLD_NAME, a guide...)."""
    return import_minimal()


# --------------------------------------------------------------------------- clients


@pytest.fixture
def api():
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def editor(db):
    """A staff user in the Editors group, named editor."""
    return make_editor()


@pytest.fixture
def editor_client(client, editor):
    """pytest-django's `client`, logged in as `editor`."""
    client.force_login(editor)
    return client


@pytest.fixture
def staff_client(db):
    """A client of its own, not `client`, logged in as staff outside the Editors group:
    a test may compare what staff see with what `client`, anonymous, sees."""
    staff = Client()
    staff.force_login(make_user("viewer"))
    return staff


@pytest.fixture
def live_portal(live_server, transactional_db):
    """The live server's URL, with the demo catalogs loaded."""
    load_demo_catalogs()
    return live_server.url
