"""How search reads the words of a query (issue 15): whole last words, synonyms, words a
code or message writes as one, a service named in the text."""

from __future__ import annotations

import pytest
from django.db import connection

from errors.catalog.importer import import_catalog_text
from errors.search.execute import engine_for, search_errors
from errors.search.plan import _without_common_words, compound_words, plan_text, synonym_groups
from errors.search.query import parse_query, with_named_service
from tests.conftest import catalog_text

WORKS = catalog_text(
    """
    service:
      slug: works
      name: Works
      envelope: {code_pointer: /code}
    errors:
      - {code: JOB_STUCK, http_status: 409, title: Job stuck,
         summary: The work did not finish in time}
      - {code: WORKSPACE_LOCKED, http_status: 423, title: Workspace locked,
         summary: Someone else holds the workspace}
      - {code: RANGE_INVALID, http_status: 400, title: Range invalid,
         summary: endTime is not after startTime}
    """
)


def codes(text: str) -> list[str]:
    return [hit.error.code for hit in search_errors(parse_query(text)).hits]


@pytest.fixture
def works(db):
    import_catalog_text(WORKS, "works.yaml")


def test_a_whole_last_word_is_not_widened_to_longer_words(works):
    assert codes("unfinished work") == ["JOB_STUCK"]


def test_a_partial_last_word_still_completes(works):
    assert codes("worksp") == ["WORKSPACE_LOCKED"]


def test_spaced_words_find_a_camel_case_word_in_prose(works):
    assert codes("the end time is before the start time")[0] == "RANGE_INVALID"


def test_compound_words_take_neighbours_and_camel_case_words():
    assert {"fromdate", "todate"} <= set(compound_words("the from date and the to date"))
    assert "timeend" in compound_words("timeEnd invalid")


def test_only_words_written_as_one_that_some_code_holds_are_matched(works):
    # A pasted message makes words of every pair ("istimeout"): matching and ranking by
    # words no code holds would cost time for nothing, so the word counts leave them out.
    plan = plan_text("end time is before start time")
    assert {"endtime", "starttime", "timeis"} <= set(plan.compounds)
    stats, _version = engine_for(connection.vendor).word_stats(plan)
    kept = _without_common_words(plan, stats).compounds
    assert set(kept) == {"endtime", "starttime"}


def test_synonyms_are_alternatives_of_a_word():
    plan = plan_text("org key required")
    assert "organization" in plan.spellings("org")
    assert "quota" in plan_text("limit reached").spellings("limit")
    assert "scan" in synonym_groups((("analysis", "scan"),))["analysis"]


def test_a_service_named_in_the_text_becomes_its_filter():
    names = {"sigsentry": "sigsentry", "elder signals": "elder-signals"}
    query = with_named_service(parse_query("Elder Signals rate limit"), names)
    assert (query.service, query.text) == ("elder-signals", "rate limit")
    # Its name alone is no filter: there would be nothing left to search.
    assert with_named_service(parse_query("sigsentry"), names).service == ""
    # An explicit filter wins.
    explicit = with_named_service(parse_query("sigsentry rate service:aisafe"), names)
    assert (explicit.service, explicit.text) == ("aisafe", "sigsentry rate")
