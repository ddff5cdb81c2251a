"""A service's public changelog and its Atom feed, built from the history."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from errors.catalog import history
from errors.catalog.importer import import_catalog_text
from errors.models import ErrorCode
from tests.factories import MINIMAL_WITHOUT_OLD_NAME


@pytest.fixture
def not_found(not_found):
    """conftest's imported NOT_FOUND, with a history: deprecated by an edit, then OLD_NAME
    removed and NOT_FOUND deprecated in the file by a re-import."""
    history.do_update_codes([not_found], lifecycle="deprecated")
    import_catalog_text(
        MINIMAL_WITHOUT_OLD_NAME.replace("http_status: 404\n    category", "http_status: 404\n"
                                         "    lifecycle: deprecated\n    category"), "shop.yaml"
    )  # fmt: skip
    return not_found


def changes(response):
    """Every change the page lists, batch by batch."""
    return [(e.code, e.kind) for batch in response.context["entries"] for e in batch.entries]


def test_changelog_lists_added_deprecated_and_removed_newest_first(client, not_found):
    response = client.get(reverse("errors:changelog", args=["shop"]))
    kinds = changes(response)
    assert kinds == [("OLD_NAME", "removed"), ("NOT_FOUND", "deprecated"),
                     ("OLD_NAME", "added"), ("NOT_FOUND", "added")]  # fmt: skip


def test_changelog_query_count(client, not_found, django_assert_num_queries):
    with django_assert_num_queries(4):  # service, batch count, batches, small batches' changes
        client.get(reverse("errors:changelog", args=["shop"]))


def test_drafts_stay_out_of_the_public_changelog(client, not_found):
    history.do_update_codes([not_found], published=False)
    response = client.get(reverse("errors:changelog", args=["shop"]))
    assert ("NOT_FOUND", "changed") not in changes(response)


def test_changed_entry_names_the_fields(client, not_found):
    history.do_update_codes([not_found], title="Missing", summary="Gone")
    batches = client.get(reverse("errors:changelog", args=["shop"])).context["entries"]
    assert ("changed", "title, summary") in [
        (e.kind, e.summary) for b in batches for e in b.entries
    ]


def test_feed_is_atom(client, not_found):
    response = client.get(reverse("errors:changelog-feed", args=["shop"]))
    assert response["Content-Type"].startswith("application/atom+xml")
    assert b"<title>OLD_NAME removed" in response.content


def test_unknown_service_is_404(client, db):
    assert client.get(reverse("errors:changelog", args=["nope"])).status_code == 404
    assert client.get(reverse("errors:changelog-feed", args=["nope"])).status_code == 404


def test_a_control_character_in_a_title_does_not_break_the_feed(client, db):
    from xml.etree import ElementTree

    from tests.conftest import MINIMAL

    text = MINIMAL.replace("title: Not found", 'title: "Not\\x01found\\x0b"')
    import_catalog_text(text, "shop.yaml")
    response = client.get(reverse("errors:changelog-feed", args=["shop"]))
    assert response.status_code == 200
    ElementTree.fromstring(response.content)  # well-formed
    assert b"Notfound" in response.content


def test_an_import_is_one_entry(client, not_found):
    (first_import,) = [
        b
        for b in client.get(reverse("errors:changelog", args=["shop"])).context["entries"]
        if b.added == 2
    ]
    assert first_import.headline == "2 codes imported"
    assert first_import.detail == "2 added"


def test_a_bulk_action_is_one_entry(client, demo):
    codes = list(ErrorCode.objects.filter(service__slug="sigsentry", http_status=401))
    # Within one second, as a bulk action of a few codes is (batches are per second).
    moment = (timezone.now() + timedelta(seconds=1)).replace(microsecond=0)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        history.do_update_codes(codes, title="Renamed")
    batch = client.get(reverse("errors:changelog", args=["sigsentry"])).context["entries"][0]
    assert (batch.total, batch.headline) == (4, "4 codes changed")


def test_feed_has_an_author_and_iri_ids(client, not_found):
    content = client.get(reverse("errors:changelog-feed", args=["shop"])).content.decode()
    assert "<author><name>Error portal</name></author>" in content
    assert "<id>tag:error-portal.internal,2024:revision-" in content


def test_changelog_title_names_the_portal_once(client, not_found):
    html = client.get(reverse("errors:changelog", args=["shop"])).content.decode()
    assert html.count("· Error portal</title>") == 1 and "Error portal · Error portal" not in html
