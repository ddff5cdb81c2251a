"""The benchmark scripts keep working: tiny sizes, no assertion on timings."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchmarks import run as bench
from benchmarks.tasks import percentiles

# The scripts make their own SQLite databases, whatever DATABASE_URL names.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "benchmarks" / "run.py"


def test_quick_run_prints_the_table_for_the_in_process_parts(tmp_path):
    database = tmp_path / "main.sqlite3"
    command = [sys.executable, str(RUN), "--quick", "--only", "import,identify,page",
               "--database-url", f"sqlite:///{database}", "--redis-url", ""]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "| import of 1,000 codes (generate_catalog) |" in result.stdout
    assert re.search(r"; CPU over .*: importer \d+\.\d s \|", result.stdout)  # SQLite: no server
    assert "| identify() in-process, 4 services + 6 demo, 1,000 codes |" in result.stdout
    assert "| service page of 250 codes (test client, warm) |" in result.stdout
    assert "(30/30 found)" in result.stdout


def test_unknown_part_is_refused_with_the_list_of_parts():
    result = subprocess.run(
        [sys.executable, str(RUN), "--only", "imports"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "unknown part(s) imports: choose from import, identify" in result.stderr


def test_the_development_database_is_refused(tmp_path):
    with pytest.raises(SystemExit, match=r"db\.sqlite3"):
        bench.scratch_database(f"sqlite:///{ROOT / 'db.sqlite3'}", tmp_path)


def test_a_postgresql_database_not_named_bench_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="ends in _bench"):
        bench.scratch_database("postgres://postgres@127.0.0.1:5432/portal", tmp_path)


def test_percentiles_are_nearest_rank():
    figures = percentiles([float(n) for n in range(1, 101)])
    assert figures == {"n": 100, "p50": 50.5, "p95": 95.0}


class Answer(BaseHTTPRequestHandler):
    """200 for /ok, 404 for anything else; POST bodies read and answered 201."""

    def do_GET(self):
        self.send_response(200 if self.path == "/ok" else 404)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed")
def test_wrk_script_counts_answers_by_status(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        lines = ["GET\t/ok", "GET\t/missing", 'POST\t/identify\t{"body": "x"}']
        figures = bench.wrk(server.server_address[1], lines, 1, tmp_path, connections=2)
    finally:
        server.shutdown()
        server.server_close()
    assert set(figures["statuses"]) == {"200", "404", "201"}
    assert figures["bad"] == figures["statuses"]["404"]
    assert figures["requests"] == sum(figures["statuses"].values())
