"""A service's public changelog and its Atom feed, built from the history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from errors.catalog import history
from errors.catalog.importer import import_catalog_text
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


def test_changelog_lists_added_deprecated_and_removed_newest_first(client, not_found):
    response = client.get(reverse("errors:changelog", args=["shop"]))
    kinds = [(entry.code, entry.kind) for entry in response.context["entries"]]
    assert kinds == [("OLD_NAME", "removed"), ("NOT_FOUND", "deprecated"),
                     ("OLD_NAME", "added"), ("NOT_FOUND", "added")]  # fmt: skip


def test_changelog_query_count(client, not_found, django_assert_num_queries):
    with django_assert_num_queries(3):
        client.get(reverse("errors:changelog", args=["shop"]))


def test_drafts_stay_out_of_the_public_changelog(client, not_found):
    history.do_update_codes([not_found], published=False)
    response = client.get(reverse("errors:changelog", args=["shop"]))
    assert ("NOT_FOUND", "changed") not in [(e.code, e.kind) for e in response.context["entries"]]


def test_changed_entry_names_the_fields(client, not_found):
    history.do_update_codes([not_found], title="Missing", summary="Gone")
    entry = client.get(reverse("errors:changelog", args=["shop"])).context["entries"][0]
    assert (entry.kind, entry.summary) == ("changed", "title, summary")


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
