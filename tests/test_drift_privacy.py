"""Drift's privacy promise: bodies with secrets in them (e-mails, tokens, ids, customer
data) never reach a stored row, a page, an API answer, a command's output or a log line."""

from __future__ import annotations

import json
import logging

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from errors.drift.models import ObservationDay, ObservedFingerprint
from tests.factories import make_user

SECRETS = [
    "alice.smith@example.com",
    "sk_live_51HxT9k2eZvKYlo2C0123456789",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
    "cus_Q1w2E3r4T5y6",
    "4242424242424242",
    "48151623",
    "3f2a9c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b",
    "hooks.example.net/t/abc",
    "hunter2",
    "a9f8e7d6c5b4a3f2e1d0",
]


def bodies() -> list[dict]:
    """Observations as a gateway would send them, with secrets everywhere."""
    return [
        {
            "service": "sigsentry",
            "status": 401,
            "body": {
                "success": False,
                "error": {
                    "code": "API_KEY_REVOKED",
                    "message": f"Key {SECRETS[1]} of alice.smith@example.com was revoked",
                    "requestId": SECRETS[9],
                },
            },
            "headers": {"Authorization": f"Bearer {SECRETS[1]}", "X-User": SECRETS[0]},
            "method": "GET",
            "path": f"/v1/customers/{SECRETS[3]}/cards/{SECRETS[4]}?token={SECRETS[2]}",
        },
        {
            "service": "sigsentry",
            "status": 402,
            "body": {
                "success": False,
                "error": {
                    "code": "CARD_DECLINED_FOR_CUSTOMER",
                    "message": f"Card {SECRETS[4]} declined for order {SECRETS[5]} "
                    f"(customer {SECRETS[3]}, session {SECRETS[6]})",
                    "details": {"email": SECRETS[0], SECRETS[0]: "owner", "amount": 4815.16},
                },
            },
            "path": f"/v1/users/{SECRETS[0]}/orders/{SECRETS[5]}",
        },
        {
            "status": 500,
            "body": f"Internal error: callback https://{SECRETS[7]}?sig={SECRETS[9]} failed, "
            f"token={SECRETS[8]} Authorization: Bearer {SECRETS[2]}",
            "headers": {"Content-Type": "text/plain"},
        },
        {
            "service": "sigsentry",
            "status": 400,
            "body": {"code": SECRETS[1], "message": SECRETS[0], "list": [SECRETS[6]] * 5},
        },
    ]


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into {where}"
    for fragment in ("alice", "Q1w2E3", "51HxT9", "4815"):
        assert fragment not in text, f"{fragment!r} leaked into {where}"


@pytest.fixture
def sender(api, db):
    user = make_user("gateway", staff=False)
    user.user_permissions.add(Permission.objects.get(codename="report_observations"))
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


def test_no_secret_reaches_rows_pages_answers_or_logs(
    sender, demo, client, editor_client, caplog, capsys, tmp_path
):
    caplog.set_level(logging.DEBUG)
    answer = sender.post("/api/v1/observations/", {"observations": bodies()}, format="json")
    assert answer.status_code == 202, answer.content
    assert answer.json()["rejected"] == []
    path = tmp_path / "seen.ndjson"
    path.write_text("\n".join(json.dumps(item) for item in bodies()))
    call_command("ingest_observations", str(path), "--no-progress")

    stored = [
        *ObservedFingerprint.objects.values(),
        *ObservationDay.objects.values(),
    ]
    assert len(stored) >= 6
    assert_clean(json.dumps(stored, default=str), "the stored rows")
    assert_clean(answer.content.decode(), "the POST answer")
    for url in (
        "/api/v1/services/sigsentry/drift/?since=1d",
        "/services/sigsentry/drift/",
        "/services/sigsentry/errors/API_KEY_REVOKED/",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert_clean(response.content.decode(), url)
    admin = editor_client.get("/admin/errors/observedfingerprint/")
    assert_clean(admin.content.decode(), "the admin's list")
    call_command("drift_report", "--service", "sigsentry", "--json")
    call_command("drift_report", "--service", "sigsentry")
    out, err = capsys.readouterr()
    assert_clean(out + err, "the commands' output")
    assert_clean(caplog.text, "the log")
    assert "{email}" in json.dumps(stored, default=str)
