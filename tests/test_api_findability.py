"""Search and lookup answers that tools can use (issue 15): each result's score, the
reason it matched and its resolution; a lookup miss answers the nearest codes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_search_results_carry_score_reason_and_resolution(api, demo):
    results = api.get("/api/v1/errors/?q=API_KEY_REVOKED").json()["results"]
    first = results[0]
    assert (first["code"], first["reason"]) == ("API_KEY_REVOKED", "exact code")
    assert first["score"] >= 1000
    assert first["resolution"]


def test_a_search_by_words_says_words_or_message(api, demo):
    first = api.get("/api/v1/errors/?q=weight must be between 0 and 1").json()["results"][0]
    assert first["code"] == "INVALID_WEIGHT"
    assert first["reason"] in ("message", "words")
    assert 0 < first["score"] < 100


def test_a_misspelt_code_says_so(api, demo):
    first = api.get("/api/v1/errors/?q=API_KEY_EXPRIED").json()["results"][0]
    assert (first["code"], first["reason"]) == ("API_KEY_EXPIRED", "misspelt code")


def test_lookup_results_carry_score_reason_and_resolution(api, demo):
    exact = api.get("/api/v1/lookup/?code=API_KEY_REVOKED").json()["results"][0]
    assert (exact["reason"], exact["score"]) == ("exact code", 1.0)
    assert exact["resolution"]
    other = api.get("/api/v1/lookup/?code=api-key-revoked").json()["results"][0]
    assert (other["reason"], other["score"]) == ("code", 0.95)


def test_a_lookup_miss_answers_the_nearest_codes(api, demo, django_assert_num_queries):
    api.get("/api/v1/lookup/?code=API_KEY_REVOKD")
    api.get("/api/v1/lookup/?code=RATE_LIMTED")
    # The request's catalog version; then search's word statistics (with the version
    # its vocabulary is checked against), misspelling candidates, the ranked page, its
    # rows; their replacements.
    with django_assert_num_queries(6):
        answer = api.get("/api/v1/lookup/?code=IDEMPOTENCY_KEY_CONFLIKT").json()
    assert answer["count"] == 0
    assert answer["suggestions"][0]["code"] == "IDEMPOTENCY_KEY_CONFLICT"


def test_a_lookup_hit_answers_no_suggestions(api, demo):
    assert api.get("/api/v1/lookup/?code=GONE").json()["suggestions"] == []
