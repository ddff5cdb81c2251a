"""Two processes ingesting the same fingerprints at once end with the exact sum: the
counts are added by one upsert statement, never read and written back."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.db.models import Sum

from errors.catalog.importer import load_demo_catalogs
from errors.drift.models import ObservationDay, ObservedFingerprint
from tests.servers import ROOT

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
)

KINDS = [
    {"service": "sigsentry", "status": 429, "body": {"error": {"code": "RATE_LIMITED"}}},
    {
        "service": "sigsentry",
        "status": 418,
        "body": {"error": {"code": "NEW_THING", "message": "x 1"}},
    },
    {"service": "synthesis", "status": 401, "body": {"code": "UNAUTHORIZED"}},
    {
        "status": 503,
        "body": "upstream 10.0.0.7 timed out",
        "headers": {"Content-Type": "text/plain"},
    },
]
LINES = 4000


@pytest.mark.django_db(transaction=True)
def test_two_processes_lose_no_count(tmp_path):
    load_demo_catalogs()
    path = tmp_path / "same.ndjson"
    lines = [
        json.dumps({**KINDS[n % len(KINDS)], "count": 1 + n % 3, "path": f"/v1/items/{n}"})
        for n in range(LINES)
    ]
    path.write_text("\n".join(lines))
    expected = sum(1 + n % 3 for n in range(LINES))
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/"
        f"{settings['NAME']}",
    }
    command = [sys.executable, "manage.py", "ingest_observations", str(path), "--no-progress",
               "--flush-every", "25"]  # fmt: skip
    senders = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for sender in senders:
        _out, err = sender.communicate(timeout=300)
        assert sender.returncode == 0, err.decode()
    assert ObservationDay.objects.aggregate(total=Sum("count"))["total"] == 2 * expected
    assert ObservedFingerprint.objects.count() == len(KINDS)
    per_kind = ObservationDay.objects.values("status").annotate(total=Sum("count"))
    assert {row["status"]: row["total"] for row in per_kind} == {
        status: 2 * sum(1 + n % 3 for n in range(LINES) if n % len(KINDS) == index)
        for index, status in enumerate(kind["status"] for kind in KINDS)
    }
