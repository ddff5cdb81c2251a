"""The bundled demo catalogs: the five seed APIs and the portal's own."""

from __future__ import annotations

import json
import re

import pytest

from errors.bodies import resolve_pointer
from errors.catalog.importer import load_demo_catalogs
from errors.catalog.validation import example_disagreements
from errors.models import ErrorCode, Service

pytestmark = pytest.mark.django_db

SEED_CODES = {
    "cloudsigma": 15,
    "sigsentry": 30,
    "aisafe": 9,
    "elder-signals": 22,
    "synthesis": 14,
}


def test_six_catalogs_load(demo):
    assert sorted(Service.objects.values_list("slug", flat=True)) == sorted([*SEED_CODES, "portal"])


@pytest.mark.parametrize(("slug", "count"), SEED_CODES.items())
def test_every_seed_code_is_there(demo, slug, count):
    assert ErrorCode.objects.filter(service__slug=slug).count() == count


def test_load_demo_is_idempotent(demo):
    assert not any(changes.has_changes for changes in load_demo_catalogs())


def test_aisafe_is_status_only(demo):
    aisafe = Service.objects.get(slug="aisafe")
    assert aisafe.is_status_only
    assert aisafe.message_pointer == "/detail"
    assert ErrorCode.objects.get(service=aisafe, code="404").title == "Not Found"


def test_elder_signals_codes_carry_their_messages(demo):
    weight = ErrorCode.objects.get(service__slug="elder-signals", code="INVALID_WEIGHT")
    assert weight.messages == ["weight must be between 0 and 1"]
    assert weight.http_status == 400


def test_sigsentry_envelope_pointers(demo):
    sigsentry = Service.objects.get(slug="sigsentry")
    assert sigsentry.code_pointer == "/error/code"
    assert sigsentry.request_id_pointer == "/error/requestId"


def test_every_example_agrees_with_its_entry(demo):
    for entry in ErrorCode.objects.select_related("service").prefetch_related("examples"):
        envelope = {
            "code_pointer": entry.service.code_pointer,
            "status_pointer": entry.service.status_pointer,
        }
        for example in entry.examples.all():
            if example.language != "json":
                continue
            body = json.loads(example.body)
            as_dict = {"code": entry.code, "http_status": entry.http_status,
                       "aliases": entry.aliases}  # fmt: skip
            assert example_disagreements(as_dict, body, envelope) == [], entry


def test_resolve_pointer():
    body = {"error": {"code": "X", "a/b": 1, "list": [10, 20]}}
    assert resolve_pointer(body, "/error/code") == "X"
    assert resolve_pointer(body, "/error/a~1b") == 1
    assert resolve_pointer(body, "/error/list/1") == 20
    assert resolve_pointer(body, "/missing") is None
    assert resolve_pointer(body, "") is None


def rule(slug: str, code: str) -> tuple[str, str]:
    error = ErrorCode.objects.get(service__slug=slug, code=code)
    return error.retry, error.retry_delay_from


def test_a_code_without_a_stated_rule_has_none():
    assert ErrorCode().retry == ErrorCode.Retry.NOT_STATED


@pytest.mark.parametrize(
    ("slug", "code", "expected"),
    [
        # Seeds that say to wait: not "never".
        ("cloudsigma", "DailyLimitExceeded", ("retry_after", "")),
        ("cloudsigma", "TierLimitExceeded", ("retry_after", "")),
        ("cloudsigma", "RateLimitExceeded", ("retry_after", "")),
        ("cloudsigma", "PipelineFailed", ("safe", "")),
        # Synthesis's delay is in the body, not in a header the seed never mentions.
        ("synthesis", "RATE_LIMIT_EXCEEDED", ("retry_after", "body:/details/retry_after")),
        # A configuration problem the seed gives no rule for.
        ("synthesis", "AGENT_NOT_CONFIGURED", ("not_stated", "")),
        ("synthesis", "SYNTHESIS_FAILED", ("not_stated", "")),
        # "Reconcile before retrying" is not "never".
        ("aisafe", "409", ("not_stated", "")),
        ("aisafe", "400", ("never", "")),
        ("aisafe", "429", ("retry_after", "header:Retry-After")),
        # SigSentry states its rules for whole classes of statuses.
        ("sigsentry", "GONE", ("never", "")),
        ("sigsentry", "UPSTREAM_ERROR", ("backoff", "")),
        ("elder-signals", "429", ("retry_after", "header:Retry-After")),
        ("elder-signals", "INVALID_WEIGHT", ("not_stated", "")),
    ],
)
def test_retry_rules_are_the_ones_the_seeds_state(demo, slug, code, expected):
    assert rule(slug, code) == expected


def test_no_editing_artifacts_or_copied_text(demo):
    rate_limited = ErrorCode.objects.get(service__slug="sigsentry", code="RATE_LIMITED")
    timeout = ErrorCode.objects.get(service__slug="sigsentry", code="UPSTREAM_TIMEOUT")
    assert "From Idempotent retries" not in rate_limited.description
    assert "details.upstream" not in timeout.resolution
    assert timeout.details_shape == ""
    assert "/services/sigsentry/errors/UPSTREAM_ERROR/" in timeout.resolution_html


def test_a_services_lede_and_overview_do_not_repeat_each_other(demo):
    for service in Service.objects.all():
        assert service.summary.strip(". ") not in service.description, service.slug


def test_a_section_the_seed_refers_to_is_linked_or_placed_in_the_vendors_docs(demo):
    for error in ErrorCode.objects.all():
        for text in (error.summary, error.description, error.resolution):
            for reference in re.findall(r"\b[Ss]ee ([A-Z][\w -]+)", text):
                assert "](" in text or "own documentation" in text, (error, reference)
