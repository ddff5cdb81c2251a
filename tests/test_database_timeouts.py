"""A database that stops answering fails a request in seconds, so the 503 path runs,
instead of holding every worker until gunicorn kills it (issue 13)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import time, django
django.setup()
from django.test import Client
started = time.perf_counter()
response = Client().get({path!r})
print(response.status_code, round(time.perf_counter() - started, 1))
"""

SLEEP = """
import time, django
django.setup()
from django.db import connection
started = time.perf_counter()
try:
    connection.cursor().execute("SELECT pg_sleep(5)")
    print("finished", round(time.perf_counter() - started, 1))
except Exception as exc:
    print(type(exc).__name__, round(time.perf_counter() - started, 1))
"""


def run(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**clean, "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def black_hole():
    """A port that completes the TCP handshake and then never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"postgres://postgres@127.0.0.1:{listener.getsockname()[1]}/portal"
    listener.close()


@pytest.mark.own_databases  # the black hole stands in for whatever DATABASE_URL names
@pytest.mark.parametrize("path", ["/readyz", "/services/shop/", "/api/v1/services/"])
def test_a_black_holed_database_answers_503_within_the_connect_timeout(black_hole, path):
    started = time.perf_counter()
    line = run(PROBE.format(path=path), DATABASE_URL=black_hole, DATABASE_CONNECT_TIMEOUT="2")
    status, _seconds = line.split()
    assert status == "503"
    assert time.perf_counter() - started < 20


def test_a_statement_past_its_time_limit_is_cancelled():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("statement_timeout is PostgreSQL's")
    line = run(SLEEP, DATABASE_URL=url, DATABASE_STATEMENT_TIMEOUT="1")
    kind, seconds = line.split()
    assert kind == "OperationalError" and float(seconds) < 3
