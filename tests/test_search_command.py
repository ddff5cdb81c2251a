"""`manage.py search`: the search from a terminal."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("search", *args, stdout=out)
    return out.getvalue()


def test_prints_hits_with_matched_text_and_counts(demo):
    output = run("weight", "must", "be", "between", "0", "and", "5")
    assert "INVALID_WEIGHT  elder-signals  400" in output.splitlines()[0]
    assert "messages: [weight] must be [between] 0 and 1" in output
    assert "services: elder-signals 1" in output


def test_json_output(demo):
    data = json.loads(run("RATE_LIMTED", "--service", "sigsentry", "--json", "--per-page", "1"))
    assert data["hits"][0]["code"] == "RATE_LIMITED"
    assert data["hits"][0]["url"] == "/services/sigsentry/errors/RATE_LIMITED/"
    assert data["by_status"] == {"429": data["total"]}


def test_options_filter(demo):
    data = json.loads(run("not", "found", "--service", "sigsentry", "--json"))
    assert {hit["service"] for hit in data["hits"]} == {"sigsentry"}


def test_nothing_found_says_what_to_try(demo):
    assert "No codes match" in run("zzzqqq")


def test_bad_filter_is_a_command_error(demo):
    with pytest.raises(CommandError, match="from 100 to 599"):
        run("x", "--status", "999")


def test_bad_paging_is_a_command_error(demo):
    with pytest.raises(CommandError, match="--per-page"):
        run("x", "--per-page", "0")
