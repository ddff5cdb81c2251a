"""Search reads at most MATCH_CAP matches: past that the total is a lower bound, and
the search page and the API say so."""

from __future__ import annotations

import pytest

from errors.search.execute import search_errors
from errors.search.query import parse_query
from tests.factories import make_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def widgets(shop):
    """Five codes whose summaries say "widget", and one named WIDGET."""
    for number in range(5):
        make_code(
            shop,
            f"ORDER_{number}_FAILED",
            title=f"Order {number} failed",
            summary="The widget broke.",
            http_status=500,
        )
    return make_code(shop, "WIDGET", title="Widget", http_status=400)


@pytest.fixture
def cap_of_three(monkeypatch):
    monkeypatch.setattr("errors.search.execute.MATCH_CAP", 3)


def test_under_the_cap_the_total_is_exact(widgets):
    results = search_errors(parse_query("widget"))
    assert (results.total, results.total_is_lower_bound) == (6, False)


def test_past_the_cap_the_total_is_a_lower_bound(widgets, cap_of_three):
    results = search_errors(parse_query("widget"), per_page=50)
    assert (results.total, results.total_is_lower_bound) == (3, True)
    assert len(results.hits) == 3
    assert sum(results.by_service.values()) == 3


def test_the_cap_never_cuts_the_exact_code(widgets, cap_of_three):
    results = search_errors(parse_query("widget"))
    assert results.hits[0].error == widgets


def test_the_cap_applies_with_filters(widgets, cap_of_three):
    results = search_errors(parse_query("status:500 widget"))
    assert (results.total, results.total_is_lower_bound) == (3, True)
    assert results.by_status == {500: 3}


def test_as_dict_says_whether_the_total_is_a_lower_bound(widgets, cap_of_three):
    assert search_errors(parse_query("widget")).as_dict()["total_is_lower_bound"] is True


def test_search_page_shows_a_lower_bound_with_a_plus(client, widgets, cap_of_three):
    page = client.get("/search/", {"q": "status:500 widget"}).content.decode()
    assert "3+ results" in page
    assert '<span class="count">3+</span>' in page
    assert "these counts are of the first 3" in page


def test_search_page_shows_an_exact_total_plainly(client, widgets):
    page = client.get("/search/", {"q": "status:500 widget"}).content.decode()
    assert "5 results" in page
    assert "5+" not in page
    assert "these counts are of the first" not in page


def test_api_count_says_whether_it_is_a_lower_bound(api, widgets, cap_of_three):
    data = api.get("/api/v1/errors/", {"q": "widget"}).json()
    assert (data["count"], data["count_is_lower_bound"]) == (3, True)


def test_api_count_is_exact_under_the_cap(api, widgets):
    data = api.get("/api/v1/errors/", {"q": "widget"}).json()
    assert (data["count"], data["count_is_lower_bound"]) == (6, False)


def test_a_kind_of_key_is_read_only_while_better_kinds_leave_room(shop, monkeypatch):
    """Codes holding the key come after the code itself and those starting with it: when
    those fill the cap, the codes holding it are not read, and are not missed."""
    make_code(shop, "GADGET", title="Gadget")
    for suffix in "ABC":
        make_code(shop, f"GADGET_{suffix}", title=f"Gadget {suffix}")
    make_code(shop, "OLD_GADGET", title="Old one")
    monkeypatch.setattr("errors.search.execute.MATCH_CAP", 3)
    capped = search_errors(parse_query("GADGET"), per_page=10)
    codes = [hit.error.code for hit in capped.hits]
    assert codes[0] == "GADGET"
    assert "OLD_GADGET" not in codes
    assert capped.total_is_lower_bound
    monkeypatch.setattr("errors.search.execute.MATCH_CAP", 10)
    everything = search_errors(parse_query("GADGET"), per_page=10)
    assert everything.hits[-1].error.code == "OLD_GADGET"
    assert (everything.total, everything.total_is_lower_bound) == (5, False)


def test_the_words_are_read_only_while_the_keys_leave_room(shop, monkeypatch):
    """The words rank below every key: once the codes holding the key fill the cap, the
    words are not read (the cut would keep none of their own codes), and the key's codes
    are ordered by tier alone, not by a rank from whichever word matches came first."""
    for prefix in "ABCD":
        make_code(shop, f"{prefix}_GIZMO_LOST", title=f"{prefix} failed")
    for number in range(20):  # words most codes lack, as in a catalog of any size
        make_code(shop, f"OTHER_{number}", title="Other", summary="Something else broke.")
    make_code(shop, "E_GIZMO_LOST", title="Gizmo lost", summary="The gizmo was lost.")
    make_code(shop, "ORDER_FAILED", title="Order failed", summary="The gizmo was lost.")
    monkeypatch.setattr("errors.search.execute.MATCH_CAP", 3)  # the key is held by 5
    capped = search_errors(parse_query("gizmo lost"), per_page=10)
    assert {hit.score for hit in capped.hits} == {400}  # the key inside, no words' rank
    assert "ORDER_FAILED" not in [hit.error.code for hit in capped.hits]
    assert capped.total_is_lower_bound
    monkeypatch.setattr("errors.search.execute.MATCH_CAP", 10)
    everything = search_errors(parse_query("gizmo lost"), per_page=10)
    assert everything.hits[-1].error.code == "ORDER_FAILED"  # the words, read
    assert everything.hits[0].error.code == "E_GIZMO_LOST"
    assert everything.hits[0].score > 400  # its words ranked it
    assert (everything.total, everything.total_is_lower_bound) == (6, False)
