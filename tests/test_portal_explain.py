"""portal-explain (client/), run as a command against a live portal: looked-up codes,
raw responses, searches, --json, exit statuses and what it says when things go wrong.

It runs with `python -S`, without site-packages: the standard library is all it has."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT, free_port

CLIENT = ROOT / "client"

REVOKED_RESPONSE = (
    "HTTP/1.1 401 Unauthorized\r\n"
    "Content-Type: application/json\r\n"
    "X-Request-Id: abc\r\n"
    "\r\n"
    '{"error": {"code": "API_KEY_REVOKED", "message": "This API key was revoked"}}'
)


def explain(portal: str, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    """Run portal-explain with PORTAL_URL=portal."""
    return subprocess.run(
        [sys.executable, "-S", "-m", "portal_explain", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(CLIENT), "PORTAL_URL": portal, "COLUMNS": "88", **env},
    )


def test_a_code_in_every_service(live_portal):
    result = explain(live_portal, "RATE_LIMITED")
    assert result.returncode == 0, result.stderr
    assert "RATE_LIMITED  [sigsentry]  HTTP 429 Too Many Requests\n====" in result.stdout
    assert "rate_limited  [portal]  HTTP 429 Too Many Requests\n====" in result.stdout
    assert f"Page: {live_portal}/services/sigsentry/errors/RATE_LIMITED/" in result.stdout
    assert "Retry:     Retry with backoff" in result.stdout


def test_a_code_of_one_service_in_another_spelling(live_portal):
    result = explain(live_portal, "--service", "sigsentry", "rate-limited")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("RATE_LIMITED  [sigsentry]") == 1
    assert "[portal]" not in result.stdout


def test_json_for_scripts(live_portal):
    result = explain(live_portal, "--json", "--service", "aisafe", "429")
    entries = json.loads(result.stdout)
    assert [(entry["service"], entry["code"], entry["http_status"]) for entry in entries] == [
        ("aisafe", "429", 429)
    ]
    assert "resolution" in entries[0]


def test_an_unknown_code_exits_1_with_suggestions(live_portal):
    result = explain(live_portal, "--service", "sigsentry", "RATE_LIMITTED")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("No error code 'RATE_LIMITTED' in the catalog of sigsentry.")


def test_an_unknown_code_names_what_the_search_finds(live_portal):
    # Suggestions come from the portal's search: a word its documents hold is found the
    # same way on SQLite and PostgreSQL (a misspelling goes through trigram similarity).
    result = explain(live_portal, "--service", "sigsentry", "revoked")
    assert result.returncode == 1
    assert "Did you mean: API_KEY_REVOKED (sigsentry)" in result.stderr


def test_identify_a_full_http_response(live_portal):
    result = explain(live_portal, "--identify", stdin=REVOKED_RESPONSE)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert "API_KEY_REVOKED  [sigsentry]  HTTP 401" in first
    assert "API_KEY_REVOKED  [sigsentry]  HTTP 401 Unauthorized\n=====" in result.stdout
    assert re.match(r"\d+%  API_KEY_REVOKED  \[sigsentry\]  HTTP 401  API key revoked$", first)


def test_identify_a_body_with_its_status(live_portal):
    body = '{"error": "Bad Request", "message": "weight must be between 0 and 1", "status": 400}'
    result = explain(live_portal, "--identify", "--status", "400", stdin=body)
    assert result.returncode == 0, result.stderr
    assert "INVALID_WEIGHT  [elder-signals]" in result.stdout.splitlines()[0]


def test_identify_reads_the_last_head_of_curl_output(live_portal):
    text = "HTTP/1.1 100 Continue\r\n\r\n" + REVOKED_RESPONSE
    result = explain(live_portal, "--identify", "--json", stdin=text)
    assert json.loads(result.stdout)[0]["code"] == "API_KEY_REVOKED"


def test_identify_without_input_says_what_to_send(live_portal):
    result = explain(live_portal, "--identify", stdin="")
    assert result.returncode == 2
    assert "--identify reads a response on standard input" in result.stderr


def test_search(live_portal):
    result = explain(live_portal, "--search", "key was revoked")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("API_KEY_REVOKED  [sigsentry]  HTTP 401")
    nothing = explain(live_portal, "--search", "zqxwv")
    assert nothing.returncode == 1
    assert "Nothing in the catalog matches 'zqxwv'." in nothing.stderr


def test_the_portals_error_answers_are_told(live_portal):
    result = explain(live_portal, "--service", "nope", "RATE_LIMITED")
    assert result.returncode == 2
    assert result.stderr.startswith("portal-explain: the portal answered 404 Not Found:")
    assert "There is no service 'nope'" in result.stderr


def test_an_unreachable_portal_is_told(db):
    result = explain(f"http://127.0.0.1:{free_port()}", "RATE_LIMITED")
    assert result.returncode == 2
    assert "cannot reach the portal at http://127.0.0.1:" in result.stderr
    assert "Set PORTAL_URL" in result.stderr


def test_a_portal_url_that_is_not_an_address(db):
    result = explain("errors.example.com", "RATE_LIMITED")
    assert result.returncode == 2
    assert "PORTAL_URL must be the portal's address" in result.stderr


def test_an_address_that_is_not_a_portal(live_portal):
    page = explain(live_portal + "/services", "RATE_LIMITED")
    assert page.returncode == 2
    assert "not JSON: is PORTAL_URL the portal's address?" in page.stderr
    fragment = explain(live_portal + "/#top", "RATE_LIMITED")
    assert fragment.returncode == 2
    assert "PORTAL_URL must be the portal's address" in fragment.stderr


@pytest.mark.once  # pip and the packaging of the client, not the portal behind it
def test_it_installs_with_pip_and_runs_as_a_command(live_portal, tmp_path):
    target = tmp_path / "site"
    source = shutil.copytree(CLIENT, tmp_path / "client")  # the build leaves files beside it
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(target), str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    command = Path(target / "bin/portal-explain")
    result = subprocess.run(
        [sys.executable, "-S", str(command), "--service", "aisafe", "429"],
        capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(target), "PORTAL_URL": live_portal},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("429  [aisafe]  HTTP 429 Too Many Requests\n")
