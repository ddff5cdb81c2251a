"""Drift: observations in, the report of where the catalog and the traffic disagree."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token

from errors.drift.ingest import ingest_batch
from errors.drift.models import ObservationDay, ObservedFingerprint
from errors.drift.report import drift_report
from errors.models import ErrorCode, Service
from tests.factories import make_user


def sigsentry(code: str, message: str = "Something failed") -> dict:
    return {"success": False, "error": {"code": code, "message": message}}


MIXED = [
    # documented codes in each demo envelope
    {
        "service": "sigsentry",
        "status": 429,
        "body": sigsentry("RATE_LIMITED", "Slow down"),
        "count": 3,
    },
    {
        "service": "cloudsigma",
        "status": 404,
        "body": {"success": False, "error": {"code": "NOT_FOUND", "message": "Gone"}},
    },
    {
        "service": "synthesis",
        "status": 401,
        "body": {"code": "UNAUTHORIZED", "message": "Invalid or expired authentication token."},
    },
    {
        "service": "elder-signals",
        "status": 400,
        "body": {"error": "Bad Request", "message": "invalid profile ID", "status": 400},
    },
    {"service": "aisafe", "status": 404, "body": {"detail": "Not found."}},
    # an unknown code, twice with other ids in its message: one fingerprint
    {
        "service": "sigsentry",
        "status": 418,
        "body": sigsentry("TEAPOT_MELTDOWN", "Pot 42 melted"),
        "count": 2,
    },
    {"service": "sigsentry", "status": 418, "body": sigsentry("TEAPOT_MELTDOWN", "Pot 77 melted")},
    # a documented code with the wrong status
    {"service": "sigsentry", "status": 500, "body": sigsentry("RATE_LIMITED", "Slow down")},
    # a documented code with a new message
    {
        "service": "synthesis",
        "status": 401,
        "body": {"code": "UNAUTHORIZED", "message": "Your badge was eaten by a goat"},
    },
]


@pytest.fixture
def retired(demo):
    """sigsentry's FORBIDDEN, deprecated."""
    ErrorCode.objects.filter(service__slug="sigsentry", code="FORBIDDEN").update(
        lifecycle="deprecated"
    )
    return "FORBIDDEN"


def test_mixed_batch_reports_every_kind(retired, db):
    result = ingest_batch(
        [*MIXED, {"service": "sigsentry", "status": 403, "body": sigsentry("FORBIDDEN")}]
    )
    assert result.rejected == []
    assert result.accepted == 10
    assert result.unmatched == 2
    report = drift_report(Service.objects.get(slug="sigsentry"), 7)
    assert report["observed"] == 3 + 3 + 1 + 1
    (undocumented,) = report["undocumented"]
    assert undocumented["code"] == "TEAPOT_MELTDOWN"
    assert undocumented["status"] == 418
    assert undocumented["count"] == 3
    assert undocumented["message"] == "pot {n} melted"
    assert undocumented["sample"]["error"]["message"] == "pot {n} melted"
    assert report["status_mismatch"] == [
        {"code": "RATE_LIMITED", "documented_status": 429, "observed_status": 500, "count": 1}
    ]
    assert [(r["code"], r["lifecycle"], r["count"]) for r in report["retired_in_use"]] == [
        ("FORBIDDEN", "deprecated", 1)
    ]
    never = {row["code"] for row in report["never_seen"]}
    assert "API_KEY_REVOKED" in never and "RATE_LIMITED" not in never
    synthesis = drift_report(Service.objects.get(slug="synthesis"), 7)
    assert synthesis["message_drift"] == [
        {"code": "UNAUTHORIZED", "message": "your badge was eaten by a goat", "count": 1}
    ]
    assert synthesis["undocumented"] == []


# --------------------------------------------------------------------------- the API


@pytest.fixture
def reporter(db):
    user = make_user("gateway", staff=False)
    user.user_permissions.add(Permission.objects.get(codename="report_observations"))
    return user


@pytest.fixture
def sender(api, reporter):
    token = Token.objects.create(user=reporter)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


def post(client, payload, **extra):
    return client.post("/api/v1/observations/", payload, format="json", **extra)


def test_api_accepts_a_batch_and_answers_202(sender, demo):
    response = post(sender, {"observations": MIXED})
    assert response.status_code == 202
    assert response.json() == {"accepted": 9, "matched": 7, "unmatched": 2, "rejected": []}


def test_api_needs_the_permission(api, demo):
    user = make_user("nobody", staff=False)
    api.force_authenticate(user)
    response = post(api, {"observations": MIXED})
    assert response.status_code == 403
    assert "report_observations" in response.json()["detail"]
    assert not ObservationDay.objects.exists()


def test_api_needs_a_token(api, demo):
    assert post(api, {"observations": MIXED}).status_code == 401


def test_bad_items_are_rejected_by_index_and_the_rest_kept(sender, demo):
    good = MIXED[0]
    batch = [
        good,
        {"service": "sigsentry", "body": sigsentry("RATE_LIMITED")},
        {**good, "status": 700},
        {**good, "body": "x" * (1024 * 1024)},
        {**good, "service": "no-such-service"},
        "not an object",
        {**good, "stauts": 429},
        {**good, "count": 0},
        {**good, "seen_at": "yesterday"},
        good,
    ]
    response = post(sender, {"observations": batch})
    assert response.status_code == 202
    answer = response.json()
    assert answer["accepted"] == 2
    rejected = {item["index"]: item["detail"] for item in answer["rejected"]}
    assert sorted(rejected) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert "status is missing" in rejected[1]
    assert "700 is not an HTTP status" in rejected[2]
    assert "64 KiB" in rejected[3]
    assert "no-such-service" in rejected[4] and "/api/v1/services/" in rejected[4]
    assert "'stauts'" in rejected[6]
    assert "ISO 8601" in rejected[8]
    assert ObservationDay.objects.get().count == 6


def test_not_json_is_a_problem(sender, demo):
    response = sender.post(
        "/api/v1/observations/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


@pytest.mark.parametrize("payload", [{"observations": {"status": 429}}, [MIXED[0]], {"x": 1}])
def test_not_a_list_is_a_problem(sender, demo, payload):
    response = post(sender, payload)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_parameter"
    assert "observations" in response.json()["detail"]


def test_more_than_a_thousand_is_refused_whole(sender, demo):
    response = post(sender, {"observations": [MIXED[0]] * 1001})
    assert response.status_code == 400
    assert "1,001 observations" in response.json()["detail"]
    assert "at most 1,000" in response.json()["detail"]
    assert not ObservationDay.objects.exists()


def test_drift_endpoint_answers_the_report(sender, api, demo):
    post(sender, {"observations": MIXED})
    response = api.get("/api/v1/services/sigsentry/drift/?since=30d")
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == {
        "service", "window", "observed", "undocumented", "never_seen",
        "status_mismatch", "retired_in_use", "message_drift",
    }  # fmt: skip
    assert answer["undocumented"][0]["code"] == "TEAPOT_MELTDOWN"
    assert answer["never_seen"][0]["html_url"].startswith("http://testserver/services/sigsentry/")


def test_drift_endpoint_refuses_a_bad_window(api, demo):
    response = api.get("/api/v1/services/sigsentry/drift/?since=forever")
    assert response.status_code == 400
    assert "7d" in response.json()["detail"]
    assert api.get("/api/v1/services/nope/drift/").status_code == 404


# --------------------------------------------------------------------------- commands


def test_ingest_command_reads_ndjson_and_lists_bad_lines(demo, tmp_path, capsys):
    path = tmp_path / "seen.ndjson"
    lines = [json.dumps(item) for item in MIXED] + ["", "{oops", json.dumps({"body": {}})]
    path.write_text("\n".join(lines) + "\n")
    call_command("ingest_observations", str(path), "--no-progress")
    out, err = capsys.readouterr()
    assert "9 observations counted (7 matched, 2 undocumented), 2 lines rejected" in out
    assert f"{path}:11: this line is not JSON" in err
    assert f"{path}:12: status is missing" in err


def test_drift_report_gates_on_named_kinds(retired, tmp_path, capsys):
    ingest_batch(MIXED)
    with pytest.raises(CommandError, match="1 undocumented, 1 status_mismatch"):
        call_command(
            "drift_report", "--service", "sigsentry", "--fail-on", "undocumented,status_mismatch"
        )
    out = capsys.readouterr().out
    assert "TEAPOT_MELTDOWN" in out and "documented 429, seen 500" in out
    call_command("drift_report", "--service", "sigsentry", "--fail-on", "retired_in_use")
    capsys.readouterr()
    call_command("drift_report", "--service", "sigsentry", "--json")
    assert json.loads(capsys.readouterr().out)["undocumented"][0]["count"] == 3


def test_drift_report_refuses_unknown_kinds_and_services(demo):
    with pytest.raises(CommandError, match="Unknown kind typo"):
        call_command("drift_report", "--service", "sigsentry", "--fail-on", "typo")
    with pytest.raises(CommandError, match="No service 'nope'"):
        call_command("drift_report", "--service", "nope")


def test_prune_drops_old_days_and_unused_fingerprints(demo, capsys):
    old = (timezone.now() - timedelta(days=100)).isoformat()
    ingest_batch([{**MIXED[5], "seen_at": old}, MIXED[0]])
    call_command("prune_observations", "--older-than", "90d")
    assert ObservationDay.objects.count() == 1
    assert ObservedFingerprint.objects.count() == 1
    assert "Dropped 1 day rows" in capsys.readouterr().out


# --------------------------------------------------------------------------- pages


def test_drift_page_shows_every_kind_and_a_chart(client, retired, django_assert_num_queries):
    ingest_batch(MIXED)
    with django_assert_num_queries(6):  # service, groups, fingerprints, entries, samples, per day
        response = client.get("/services/sigsentry/drift/?since=30d")
    assert response.status_code == 200
    html = response.content.decode()
    assert "TEAPOT_MELTDOWN" in html and "pot {n} melted" in html
    assert '<svg class="drift-chart" role="img"' in html
    assert "<script" not in html.split("<main", 1)[1]
    assert "Status mismatch" in html and "API_KEY_REVOKED" in html


def test_drift_page_explains_a_bad_window(client, demo):
    response = client.get("/services/sigsentry/drift/?since=soon")
    assert response.status_code == 400
    assert "like 7d, 2w or 48h" in response.content.decode()


def test_code_page_says_how_often_the_code_was_seen(client, demo):
    ingest_batch([MIXED[0]])
    html = client.get("/services/sigsentry/errors/RATE_LIMITED/").content.decode()
    assert "seen 3 times in the last 30 days, last under a minute ago" in html
    assert "always 429" in html
    html = client.get("/services/sigsentry/errors/API_KEY_REVOKED/").content.decode()
    assert "never seen in 30 days" in html


def test_code_page_is_silent_when_the_service_reports_nothing(client, demo):
    html = client.get("/services/sigsentry/errors/RATE_LIMITED/").content.decode()
    assert "never seen" not in html


# --------------------------------------------------------------------------- the admin


def test_admin_action_makes_a_prefilled_draft(editor_client, demo):
    ingest_batch(MIXED)
    found = ObservedFingerprint.objects.get(code="TEAPOT_MELTDOWN")
    response = editor_client.post(
        "/admin/errors/observedfingerprint/",
        {"action": "make_draft", "_selected_action": [found.pk]},
        follow=True,
    )
    assert response.status_code == 200
    draft = ErrorCode.objects.get(service__slug="sigsentry", code="TEAPOT_MELTDOWN")
    assert (draft.http_status, draft.published, draft.messages) == (418, False, ["pot {n} melted"])
    assert '"message": "pot {n} melted"' in draft.examples.get().body
    found.refresh_from_db()
    assert found.draft == draft
    assert draft.revisions.count() == 1
    # published, it leaves the undocumented list
    ErrorCode.objects.filter(pk=draft.pk).update(published=True)
    report = drift_report(Service.objects.get(slug="sigsentry"), 7)
    assert report["undocumented"] == []


def test_admin_lists_fingerprints_for_staff(editor_client, demo):
    ingest_batch(MIXED)
    response = editor_client.get("/admin/errors/observedfingerprint/")
    assert response.status_code == 200
    assert "TEAPOT_MELTDOWN" in response.content.decode()


def test_drift_endpoint_queries_do_not_grow_with_traffic(api, demo, django_assert_num_queries):
    ingest_batch(MIXED)
    ingest_batch([{**MIXED[5], "body": sigsentry(f"NEW_{n}")} for n in range(50)])
    # catalog version (the API's answer cache asks), service, groups, fingerprints, entries,
    # the samples of the undocumented rows
    with django_assert_num_queries(6):
        response = api.get("/api/v1/services/sigsentry/drift/")
    assert len(response.json()["undocumented"]) == 51


def test_service_left_out_is_decided_by_identify(demo):
    result = ingest_batch([{"status": 429, "body": sigsentry("RATE_LIMITED", "Slow down")}])
    assert result.matched == 1
    assert drift_report(Service.objects.get(slug="sigsentry"), 1)["observed"] == 1


def test_raw_text_and_json_text_bodies(demo):
    result = ingest_batch(
        [
            {"service": "synthesis", "status": 401, "body": '{"code": "UNAUTHORIZED"}'},
            {
                "status": 502,
                "body": "<html>502 Bad Gateway</html>",
                "headers": {"Content-Type": "text/html"},
            },
        ]
    )
    assert (result.matched, result.unmatched) == (1, 1)
    assert ObservedFingerprint.objects.get(status=502).shape == "text"


def test_the_drift_docs_examples_are_valid_python_and_name_real_commands():
    from pathlib import Path

    from tests.test_api_docs import blocks

    root = Path(__file__).resolve().parent.parent
    for doc in ("docs/drift.md", "docs/api.md"):
        text = (root / doc).read_text()
        for language, code in blocks(text):
            if language == "python":
                compile(code, doc, "exec")
    drift = (root / "docs/drift.md").read_text()
    for command in ("ingest_observations", "prune_observations", "drift_report --service"):
        assert command in drift
