"""`manage.py explain CODE`: a code's documentation in the terminal."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from errors.models import ErrorCode


def explain(*args: str) -> str:
    out = StringIO()
    call_command("explain", *args, stdout=out)
    return out.getvalue()


def test_prints_the_code_with_status_and_messages(demo):
    text = explain("INVALID_WEIGHT")
    assert text.startswith("INVALID_WEIGHT  [Elder Signals]  HTTP 400 Bad Request")
    assert "weight must be between 0 and 1" in text
    assert "/services/elder-signals/errors/INVALID_WEIGHT/" in text


def test_ignores_case_and_separators(demo):
    assert explain("invalid-weight").startswith("INVALID_WEIGHT")


def test_prints_every_service_without_service(demo):
    text = explain("unauthorized")
    assert "[CloudSigma]" in text and "[SigSentry]" in text


def test_service_option_narrows_to_one(demo):
    text = explain("unauthorized", "--service", "sigsentry")
    assert "[SigSentry]" in text and "[CloudSigma]" not in text


def test_finds_aliases_and_prints_lifecycle(demo):
    error = ErrorCode.objects.get(service__slug="sigsentry", code="RATE_LIMITED")
    error.aliases = ["TOO_MANY"]
    error.lifecycle = "deprecated"
    error.save()
    text = explain("too_many")
    assert text.startswith("RATE_LIMITED") and "Deprecated" in text and "TOO_MANY" in text


def test_prints_examples_pretty(demo):
    error = ErrorCode.objects.filter(examples__language="json").first()
    text = explain(error.code, "--service", error.service.slug)
    assert "Example (JSON)" in text


def test_unknown_code_suggests_nearest_and_exits_1(demo):
    with pytest.raises(CommandError) as caught:
        explain("RATE_LIMTED")
    assert caught.value.returncode == 1
    assert "Did you mean: " in str(caught.value)
    assert "RATE_LIMITED (sigsentry)" in str(caught.value)


def test_drafts_are_not_explained(demo):
    ErrorCode.objects.filter(code="INVALID_WEIGHT").update(published=False)
    with pytest.raises(CommandError):
        explain("INVALID_WEIGHT")


def test_unknown_service_is_named_as_such(demo):
    with pytest.raises(CommandError, match=r"No service 'nope'\. Known services: aisafe"):
        explain("RATE_LIMITED", "--service", "nope")
