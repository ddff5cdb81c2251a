"""Search finds the codes holding a key inside by the key's rarest trigrams, each checked,
when one is rare (errors.search.trigram_counts): the same codes as the trigram index
finds by all of them (SQLite's phrase, PostgreSQL's LIKE), whichever way is taken."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from errors.search.execute import search_errors
from errors.search.query import parse_query
from errors.search.trigram_counts import RARE_CAP, key_trigrams, rarest, trigram_counts
from tests.factories import make_code, make_service

pytestmark = pytest.mark.django_db

# What the statement says when it checks each candidate of the rarest trigrams.
CHECKED = {"sqlite": "instr(replace(replace(keys", "postgresql": "strpos(keys"}[connection.vendor]


@pytest.fixture
def holders(shop):
    """WEBHOOK_LIMIT_EXCEEDED, two codes holding it inside (one by an alias), and codes
    sharing most of its trigrams but not the key."""
    make_code(shop, "WEBHOOK_LIMIT_EXCEEDED", title="Too many webhooks")
    make_code(shop, "OLD_WEBHOOK_LIMIT_EXCEEDED", title="Too many webhooks, v1")
    make_code(shop, "HOOKS_FULL", title="Hooks full", aliases=["webhook-limit-exceeded-v0"])
    make_code(shop, "WEBHOOK_LIMIT", title="Limit")
    make_code(shop, "LIMIT_EXCEEDED", title="Exceeded")
    return shop


def _codes(text: str) -> list[str]:
    return sorted(hit.error.code for hit in search_errors(parse_query(text), per_page=50).hits)


def _inside_statement(text: str) -> str:
    with CaptureQueriesContext(connection) as queries:
        search_errors(parse_query(text))
    return next(q["sql"] for q in queries.captured_queries if "WITH m AS" in q["sql"])


def test_the_rare_way_and_the_phrase_find_the_same_codes(holders, monkeypatch):
    by_rare = _codes("webhook_limit_exceeded")
    assert CHECKED in _inside_statement("webhook_limit_exceeded")
    trigram_counts.clear()
    monkeypatch.setattr(f"errors.search.{connection.vendor}.rarest", lambda key, counts: [])
    assert CHECKED not in _inside_statement("webhook_limit_exceeded")
    assert _codes("webhook_limit_exceeded") == by_rare
    assert by_rare == ["HOOKS_FULL", "OLD_WEBHOOK_LIMIT_EXCEEDED", "WEBHOOK_LIMIT_EXCEEDED"]


def test_a_key_whose_trigrams_are_all_common_is_found_by_the_phrase(holders, monkeypatch):
    monkeypatch.setattr("errors.search.trigram_counts.RARE_CAP", 0)
    assert CHECKED not in _inside_statement("webhook_limit_exceeded")
    assert _codes("webhook_limit_exceeded") == [
        "HOOKS_FULL",
        "OLD_WEBHOOK_LIMIT_EXCEEDED",
        "WEBHOOK_LIMIT_EXCEEDED",
    ]


def test_counts_are_read_once_and_dropped_when_the_catalog_changes(holders):
    search_errors(parse_query("webhook_limit_exceeded"))
    known = trigram_counts.known()
    assert set(key_trigrams("webhooklimitexceeded")) <= set(known)
    assert known["kli"] == 4  # WEBHOOK_LIMIT, ..._EXCEEDED, OLD_..., HOOKS_FULL's alias
    with CaptureQueriesContext(connection) as again:
        search_errors(parse_query("webhook_limit_exceeded"))
    assert "#trigram:" not in again.captured_queries[0]["sql"]  # held: not counted again
    make_code(holders, "WEBHOOK_LIMIT_EXCEEDED_AGAIN", title="Again")
    assert "WEBHOOK_LIMIT_EXCEEDED_AGAIN" in _codes("webhook_limit_exceeded")
    assert trigram_counts.known()["kli"] == 5  # counted again under the new version


def test_the_search_still_takes_its_queries(holders, django_assert_num_queries):
    search_errors(parse_query("webhook_limit_exceeded"))  # the vocabulary, read once
    with django_assert_num_queries(3):  # word counts, matches, the page's codes
        search_errors(parse_query("webhook_limit_exceeded"))


def test_rarest_wants_a_rare_trigram():
    counts = {gram: RARE_CAP + 1 for gram in key_trigrams("abcdef")}
    assert rarest("abcdef", counts) == []
    counts["cde"], counts["abc"] = 3, RARE_CAP
    assert rarest("abcdef", counts) == ["cde", "abc"]
    assert rarest("abcdef", {}) == []


def test_a_key_with_one_indexed_trigram_is_found_by_it(shop):
    # PostgreSQL's trigram index holds letters and digits alone: of `x.qzw.y`, `qzw`.
    make_code(shop, "X.QZW.Y", title="Dotted")
    make_code(shop, "OLD_X.QZW.Y", title="Dotted, old")
    make_code(shop, "QZW", title="Not dotted")
    assert CHECKED in _inside_statement("x.qzw.y")
    assert {"OLD_X.QZW.Y", "X.QZW.Y"} <= set(_codes("x.qzw.y"))  # QZW too, by its word


@pytest.mark.parametrize(
    "text, params",
    [
        ("missingtoken", {}),  # a code spelt with a long s, which SQLite folds to s
        ("keymissing", {}),  # an alias spelt with a Kelvin sign, folded to k
        ("webhook_limit_exceeded", {"service": "bank"}),  # narrowed to one service's ids
        ("webhook_limit_exceeded", {"service": "shop"}),
    ],
)
def test_both_ways_agree_past_ascii_and_within_a_service(holders, monkeypatch, text, params):
    bank = make_service("bank", "Bank")
    make_code(holders, "MI\u017fSING_TOKEN", title="Long s")
    make_code(holders, "TOKEN_GONE", title="Kelvin", aliases=["\u212aEY_MISSING_TOTAL"])
    make_code(bank, "BANK_WEBHOOK_LIMIT_EXCEEDED", title="Bank's")

    def codes() -> list[str]:
        query = parse_query(text, **params)
        return sorted(hit.error.code for hit in search_errors(query, per_page=50).hits)

    if connection.vendor == "sqlite" or text != "missingtoken":
        # PostgreSQL's LIKE folds nothing: `missingtoken` holds no code's key there, the
        # counts say so, and the search is planned as a misspelling.
        assert CHECKED in _inside_statement(text)
    by_rare = codes()
    trigram_counts.clear()
    monkeypatch.setattr(f"errors.search.{connection.vendor}.rarest", lambda key, counts: [])
    assert codes() == by_rare
