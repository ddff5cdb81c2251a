"""Drift: observations in, the report of where the catalog and the traffic disagree."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from errors.drift.ingest import InvalidBatch, ingest_batch, ingest_lines
from errors.drift.models import ObservationDay, ObservedFingerprint
from errors.drift.report import InvalidWindow, drift_report, window_days
from errors.models import ErrorCode, Service


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
