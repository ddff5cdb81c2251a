"""errors.lint and `manage.py lint_catalog`."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from errors.lint import ERROR, WARNING, error_findings, identifies_elsewhere, lint_catalog
from errors.models import ErrorCode, Example, Service


def findings_of(code: str, slug: str = "sigsentry"):
    error = ErrorCode.objects.select_related("service").get(service__slug=slug, code=code)
    return error_findings(error)


def test_demo_catalogs_have_no_errors_but_some_warnings(demo):
    findings = lint_catalog()
    assert [finding for finding in findings if finding.level == ERROR] == []
    assert any(finding.level == WARNING for finding in findings)


def test_example_with_another_code_is_an_error(demo):
    error = ErrorCode.objects.get(service__slug="sigsentry", code="RATE_LIMITED")
    Example.objects.create(error=error, body='{"error": {"code": "NOT_FOUND", "status": 429}}')
    messages = [f.message for f in findings_of("RATE_LIMITED") if f.level == ERROR]
    assert messages == [
        "the example's code is 'NOT_FOUND' but the entry is 'RATE_LIMITED': fix the example "
        "or move it to its own entry."
    ]


def test_example_that_does_not_parse_is_an_error(demo):
    error = ErrorCode.objects.get(service__slug="sigsentry", code="RATE_LIMITED")
    Example.objects.create(error=error, body='{"error": ')
    (finding,) = [f for f in findings_of("RATE_LIMITED") if f.level == ERROR]
    assert finding.field == "example 1"
    assert finding.message.startswith("the JSON example does not parse")


def test_http_example_with_another_status_is_an_error(demo):
    error = ErrorCode.objects.get(service__slug="sigsentry", code="RATE_LIMITED")
    Example.objects.create(error=error, language="http", body="HTTP/1.1 404 Not Found\n\n{}")
    assert any("answers HTTP 404" in f.message for f in findings_of("RATE_LIMITED"))


def test_code_not_matching_the_service_pattern_is_an_error(demo):
    Service.objects.filter(slug="sigsentry").update(code_pattern="^[a-z]+$")
    (finding,) = [f for f in findings_of("RATE_LIMITED") if f.level == ERROR]
    assert finding.field == "code"


def test_missing_resolution_example_and_replacement_are_warnings(demo):
    error = ErrorCode.objects.get(service__slug="sigsentry", code="RATE_LIMITED")
    error.resolution = ""
    error.lifecycle = ErrorCode.Lifecycle.DEPRECATED
    error.replaced_by = None
    error.save()
    error.examples.all().delete()
    fields = {f.field for f in findings_of("RATE_LIMITED") if f.level == WARNING}
    assert fields == {"resolution", "examples", "replaced_by"}


def test_command_succeeds_on_the_demo_catalogs(demo, capsys):
    call_command("lint_catalog")
    assert "0 error(s)" in capsys.readouterr().out


def test_command_fails_on_errors(demo):
    error = ErrorCode.objects.get(service__slug="sigsentry", code="RATE_LIMITED")
    Example.objects.create(error=error, body="not json")
    with pytest.raises(CommandError, match="1 error"):
        call_command("lint_catalog", "--service", "sigsentry")


def test_command_names_the_known_services_for_an_unknown_one(demo):
    with pytest.raises(CommandError, match="Known services: aisafe"):
        call_command("lint_catalog", "--service", "nope")


def test_alias_that_repeats_another_code_is_an_error(demo):
    ErrorCode.objects.filter(service__slug="sigsentry", code="RATE_LIMITED").update(
        aliases=["not_found"]
    )
    service = Service.objects.get(slug="sigsentry")
    (finding,) = [f for f in lint_catalog([service]) if f.level == ERROR]
    assert (finding.code, finding.field) == ("RATE_LIMITED", "aliases")
    assert "already used by NOT_FOUND" in finding.message


def lint_fields(code: str, slug: str, **changes):
    ErrorCode.objects.filter(service__slug=slug, code=code).update(**changes)
    return {(f.level, f.field) for f in findings_of(code, slug)}


def test_never_retry_on_words_that_say_wait_is_an_error(demo):
    found = lint_fields(
        "DailyLimitExceeded", "cloudsigma", retry="never",
        resolution="Wait until midnight UTC or increase the key's daily limit",
    )  # fmt: skip
    assert (ERROR, "retry") in found


def test_a_retry_rule_on_words_that_say_do_not_retry_is_an_error(demo):
    found = lint_fields("400", "aisafe", retry="backoff")
    assert (ERROR, "retry") in found


def test_a_refusal_with_a_condition_is_not_an_invitation(demo):
    found = lint_fields(
        "403", "aisafe", retry="never",
        resolution="Do not retry with the same principal. Use a key with different scopes.",
    )  # fmt: skip
    assert not any(field == "retry" for _, field in found)


def test_words_that_state_a_rule_the_entry_leaves_unstated_are_a_warning(demo):
    found = lint_fields("PipelineFailed", "cloudsigma", retry="not_stated")
    assert (WARNING, "retry") in found


def test_the_demo_catalogs_rules_agree_with_their_words(demo):
    assert [f for f in lint_catalog() if f.field == "retry"] == []


def test_a_resolution_that_repeats_the_meaning_is_a_warning(demo):
    found = lint_fields(
        "NotFound", "cloudsigma", resolution="*The requested resource does not exist.*"
    )
    assert (WARNING, "resolution") in found


def test_an_example_another_entry_would_be_identified_as_is_an_error(demo):
    error = ErrorCode.objects.get(service__slug="elder-signals", code="PROFILE_NOT_FOUND")
    Example.objects.create(
        error=error, body='{"error": "Not Found", "message": "signal not found", "status": 404}'
    )
    (finding,) = [f for f in findings_of("PROFILE_NOT_FOUND", "elder-signals") if f.level == ERROR]
    assert finding.field == "example 1"
    assert "identify takes this example for SIGNAL_NOT_FOUND" in finding.message


def test_an_example_message_the_entry_does_not_know_is_an_error(demo):
    # Elder Signals sends no code: without the message, the body reads as the bare 404.
    error = ErrorCode.objects.get(service__slug="elder-signals", code="PROFILE_NOT_FOUND")
    Example.objects.create(
        error=error, body='{"error": "Not Found", "message": "no such elder", "status": 404}'
    )
    messages = [f.message for f in findings_of("PROFILE_NOT_FOUND", "elder-signals")]
    assert any(message.startswith("identify takes this example for 404") for message in messages)


def test_an_example_nothing_identifies_is_an_error(demo):
    error = ErrorCode.objects.select_related("service").get(
        service__slug="synthesis", code="NOT_FOUND"
    )
    message = identifies_elsewhere(error, "json", '{"unexpected": true}')
    assert message.startswith("identify does not recognise this example")


def test_every_demo_example_identifies_its_own_entry(demo):
    assert [f for f in lint_catalog() if "identif" in f.message] == []
