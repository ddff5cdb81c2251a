"""What drift keeps of a body, a message and a path: values out, shape and words in."""

from __future__ import annotations

import pytest

from errors.drift.fingerprint import fingerprint_of
from errors.drift.redact import (
    is_code_like,
    path_template,
    redact_key,
    sample,
    skeleton_body,
    text_skeleton,
)

KEEP = frozenset({"/error/code", "/code"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("User bob@corp.io not found", "user {email} not found"),
        ("Invalid token sk_test_4eC39HqLyjWDarjtT1zdp7dc", "invalid token {token}"),
        ("Authorization: Bearer abc.def.ghi rejected", "authorization: bearer {token} rejected"),
        ("password=hunter2 is weak", "password {token} is weak"),
        ("See https://status.example.com/incidents/77", "see {url}"),
        ("Order 123e4567-e89b-12d3-a456-426614174000 missing", "order {id} missing"),
        (
            "Limit of 100 requests per 60 seconds exceeded.",
            "limit of {n} requests per {n} seconds exceeded",
        ),
        ("API key is invalid", "api key is invalid"),
    ],
)
def test_text_skeleton_replaces_values_and_keeps_words(text, expected):
    assert text_skeleton(text) == expected


@pytest.mark.parametrize(
    "value", ["RATE_LIMITED", "E1001", "invalid_request_error", "auth.expired"]
)
def test_codes_look_like_codes(value):
    assert is_code_like(value)


@pytest.mark.parametrize(
    "value",
    ["sk_live_51HxT9k2eZvKYlo2C0123456789", "bob@corp.io", "Not a code", "4242424242424242"],
)
def test_secrets_and_sentences_do_not(value):
    assert not is_code_like(value)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/projects/42", "/v1/projects/{id}"),
        ("/v2/users/bob@corp.io/cards/4242?token=abc", "/v2/users/{id}/cards/{id}"),
        ("https://api.example.com/v1/orders/ord_8f3a9c1e/refunds", "/v1/orders/{id}/refunds"),
        ("/api-keys/3f2a9c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b", "/api-keys/{id}"),
        ("", ""),
    ],
)
def test_path_template_keeps_fixed_segments_only(path, expected):
    assert path_template(path) == expected


def test_keys_that_are_values_are_replaced():
    assert redact_key("bob@corp.io") == "{key}"
    assert redact_key("3f2a9c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b") == "{key}"
    assert redact_key("retry_after") == "retry_after"


def test_the_sample_keeps_the_code_and_replaces_everything_else():
    body = {
        "error": {"code": "RATE_LIMITED", "message": "Slow down, bob@corp.io", "retry": 30},
        "items": list(range(10)),
        "ok": False,
    }
    kept = sample(skeleton_body(body, KEEP))
    assert kept == {
        "error": {"code": "RATE_LIMITED", "message": "slow down, {email}", "retry": "{n}"},
        "items": ["{n}", "{n}", "{n}", "{...}"],
        "ok": False,
    }


def test_a_token_in_the_code_field_is_not_kept():
    kept = skeleton_body({"code": "sk_live_51HxT9k2eZvKYlo2C0123456789"}, KEEP)
    assert kept == {"code": "{token}"}


def test_one_error_with_other_values_is_one_fingerprint():
    first = skeleton_body({"error": {"code": "GONE", "message": "Pot 42 melted"}}, KEEP)
    second = skeleton_body({"error": {"code": "GONE", "message": "Pot 7 melted"}}, KEEP)
    other = skeleton_body({"error": {"code": "GONE", "message": "Pot 7 exploded"}}, KEEP)
    assert fingerprint_of(first, 410, "shop", None) == fingerprint_of(second, 410, "shop", None)
    assert fingerprint_of(first, 410, "shop", None) != fingerprint_of(other, 410, "shop", None)
    assert fingerprint_of(first, 410, "shop", None) != fingerprint_of(first, 500, "shop", None)
    found = fingerprint_of(first, 410, "shop", None)
    assert (found.code, found.message) == ("GONE", "pot {n} melted")
    assert found.shape == "error,error/code,error/message"


def test_a_text_body_is_its_skeleton():
    found = fingerprint_of(text_skeleton("<h1>502 Bad Gateway</h1> nginx/1.25.3"), 502, "", None)
    assert found.shape == "text" and found.code == ""
    assert "1.25" not in found.message
