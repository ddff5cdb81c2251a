"""Two writers at the same moment, each on its own database connection (threads under a
real transaction each): nothing is lost and nobody gets a 500 (issue 13). The races are
PostgreSQL's: SQLite's IMMEDIATE transactions serialise every write already."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from errors import catalog_version, forms
from errors.models import ErrorCode, Service
from tests.admin_support import error_form_data
from tests.conftest import MINIMAL
from tests.factories import import_minimal, make_editor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the races need PostgreSQL (run with DATABASE_URL=postgres://...)")


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in a thread of its own (so on a connection of its own), together."""
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            results[index] = call()
        except Exception as exc:  # reported by the assertions
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_editors_saving_one_code_at_once_one_is_refused(monkeypatch):
    error = import_minimal()
    editor = make_editor()
    url = reverse("admin:errors_errorcode_change", args=[error.pk])
    # Both have the form open on the same version; both press Save together. The barrier
    # holds each after its version check, where the race was; with the row lock the second
    # waits inside the check instead, and the barrier gives up on it.
    barrier = threading.Barrier(2, timeout=3)
    check = forms.ErrorCodeForm._refuse_if_changed_meanwhile

    def check_then_wait(self: Any) -> None:
        check(self)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()

    monkeypatch.setattr(forms.ErrorCodeForm, "_refuse_if_changed_meanwhile", check_then_wait)

    def save(title: str) -> int:
        client = Client()
        client.force_login(editor)
        return client.post(url, error_form_data(error, title=title)).status_code

    statuses = at_once(lambda: save("First"), lambda: save("Second"))
    assert sorted(statuses) == [200, 302], statuses  # one saved, one shown the conflict
    assert ErrorCode.objects.get(pk=error.pk).title in ("First", "Second")


def test_a_save_without_the_version_is_refused():
    error = import_minimal()
    client = Client()
    client.force_login(make_editor())
    data = error_form_data(error, title="Blind")
    del data["version"]
    response = client.post(reverse("admin:errors_errorcode_change", args=[error.pk]), data)
    assert response.status_code == 200
    assert "does not say which version" in response.text
    assert ErrorCode.objects.get(pk=error.pk).title != "Blind"


def publisher_token() -> str:
    """The token of shop's CI user (listed as its publisher once shop exists)."""
    from django.contrib.auth.models import Permission, User
    from rest_framework.authtoken.models import Token

    user = User.objects.create_user("ci-shop")
    user.user_permissions.add(Permission.objects.get(codename="change_errorcode"))
    for service in Service.objects.filter(slug="shop"):
        service.publishers.add(user)
    return "Token " + Token.objects.create(user=user).key


def publish(token: str, text: str) -> int:
    response = APIClient().put(
        "/api/v1/services/shop/catalog/", text, content_type="application/yaml",
        HTTP_AUTHORIZATION=token,
    )  # fmt: skip
    return response.status_code


def file_with(code: str) -> str:
    return MINIMAL.replace("NOT_FOUND", code)


@pytest.mark.parametrize("existing", [True, False], ids=["update", "create"])
def test_two_publishes_of_one_service_at_once_leave_one_whole_file(existing):
    if existing:
        import_minimal()
    token = publisher_token()
    for _trial in range(5):
        statuses = at_once(
            lambda: publish(token, file_with("FROM_A")), lambda: publish(token, file_with("FROM_B"))
        )
        assert all(status in (200, 201) for status in statuses), statuses
        codes = set(Service.objects.get(slug="shop").errors.values_list("code", flat=True))
        assert codes in ({"FROM_A", "OLD_NAME"}, {"FROM_B", "OLD_NAME"}), codes
        if not existing:
            Service.objects.filter(slug="shop").delete()


def test_a_publish_that_waits_too_long_is_a_409(monkeypatch):
    from errors.catalog import importer

    monkeypatch.setattr(importer, "IMPORT_LOCK_WAIT", 1)
    token = publisher_token()
    holder = connections.create_connection("default")  # another writer, not yet committed
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute(catalog_version.LOCK)
    try:
        response = APIClient().put(
            "/api/v1/services/shop/catalog/", MINIMAL, content_type="application/yaml",
            HTTP_AUTHORIZATION=token,
        )  # fmt: skip
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 409
    assert response.json()["code"] == "publish_busy"
    assert not Service.objects.filter(slug="shop").exists()


def test_two_streamed_imports_in_opposite_orders_run_one_after_the_other():
    """Files streamed to the import are not known before it starts: two multi-file imports
    naming the same services in opposite orders must not each hold one service and wait
    for the other. Both land, one after the other, each whole."""
    from errors.catalog.files import parse_catalog
    from errors.catalog.importer import import_catalogs

    def files(first: str, second: str, marker: str):
        for slug in (first, second):
            text = MINIMAL.replace("slug: shop", f"slug: {slug}").replace("NOT_FOUND", marker)
            yield parse_catalog(text, f"{slug}.yaml")

    results = at_once(
        lambda: import_catalogs(files("shop", "bank", "FROM_A")),
        lambda: import_catalogs(files("bank", "shop", "FROM_B")),
    )
    assert all(isinstance(result, list) for result in results), results
    codes = {
        slug: set(Service.objects.get(slug=slug).errors.values_list("code", flat=True))
        for slug in ("shop", "bank")
    }
    assert codes["shop"] == codes["bank"], codes  # the last import wrote both
    assert codes["shop"] in ({"FROM_A", "OLD_NAME"}, {"FROM_B", "OLD_NAME"}), codes
