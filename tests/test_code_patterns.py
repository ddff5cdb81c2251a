"""Editors' code patterns run under a time limit: a backtracking one costs a blink, not a
worker (issue 13)."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError

from errors.catalog.files import parse_catalog
from errors.catalog.problems import CatalogInvalid
from errors.catalog.validation import validate_catalog
from errors.code_patterns import PatternTooSlow, code_matches, pattern_error
from errors.lint import lint_service
from errors.models import ErrorCode, Service
from errors.validators import validate_regex
from tests.conftest import MINIMAL

EVIL = "^(A|AA)+$"  # backtracks even in the regex module
LONG_MISS = "A" * 60 + "!"


def test_the_reported_pattern_is_bounded_on_a_long_code():
    started = time.perf_counter()
    with pytest.raises(PatternTooSlow, match="simplify it"):
        code_matches("^([A-Z]+_?)+$", "A" * 5000 + "!")
    assert time.perf_counter() - started < 0.5


def test_a_backtracking_pattern_is_stopped():
    started = time.perf_counter()
    with pytest.raises(PatternTooSlow):
        code_matches(EVIL, LONG_MISS)
    assert time.perf_counter() - started < 1


def test_ordinary_patterns_still_match():
    assert code_matches("^[A-Z][A-Z0-9_]*$", "NOT_FOUND")
    assert not code_matches("^[A-Z][A-Z0-9_]*$", "not_found")
    assert pattern_error("^[A-Z][A-Z0-9_]*$") is None


def test_the_service_field_refuses_a_backtracking_pattern():
    with pytest.raises(ValidationError, match="takes too long"):
        validate_regex(EVIL)


def test_an_invalid_pattern_is_still_named():
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        validate_regex("^(")


def test_a_catalog_with_a_backtracking_pattern_is_refused_quickly():
    text = MINIMAL.replace("  name: Shop\n", f"  name: Shop\n  code_pattern: '{EVIL}'\n")
    text = text.replace("code: NOT_FOUND", f"code: {LONG_MISS[:-1]}x")
    started = time.perf_counter()
    with pytest.raises(CatalogInvalid, match="takes too long"):
        validate_catalog(parse_catalog(text, "shop.yaml"))
    assert time.perf_counter() - started < 2


@pytest.mark.django_db
def test_a_stored_backtracking_pattern_does_not_hang_the_admin_or_lint(not_found):
    # A pattern saved before the rule existed: clean() and lint answer, they do not hang.
    Service.objects.filter(pk=not_found.service_id).update(code_pattern=EVIL)
    ErrorCode.objects.filter(pk=not_found.pk).update(code=LONG_MISS)
    error = ErrorCode.objects.get(pk=not_found.pk)
    started = time.perf_counter()
    with pytest.raises(ValidationError, match="cannot be checked"):
        error.clean()
    findings = lint_service(Service.objects.get(pk=not_found.service_id))
    assert any(finding.field == "code" for finding in findings)
    assert time.perf_counter() - started < 2
