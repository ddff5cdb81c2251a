"""The bundled demo catalogs: the five seed APIs and the portal's own."""

from __future__ import annotations

import json

import pytest

from errors.catalog.bodies import resolve_pointer
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
