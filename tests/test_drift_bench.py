"""The drift benchmark keeps working: tiny sizes on SQLite, no assertion on timings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# The script makes its own SQLite database, whatever DATABASE_URL names.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parent.parent


def test_drift_benchmark_runs_at_a_tiny_size(tmp_path):
    command = [sys.executable, "benchmarks/drift_bench.py", "--database-url",
               f"sqlite:///{tmp_path / 'drift.sqlite3'}", "--observations", "300",
               "--services", "3", "--codes-per-service", "12", "--api-batches", "2"]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RESULT ingest 300 in" in result.stdout
    assert "RESULT api batches of 1,000, a fresh process (n=2)" in result.stdout
    assert "RESULT drift_report 30d" in result.stdout
