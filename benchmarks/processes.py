"""What the processes of a benchmark use: their memory and their CPU, read with psutil."""

from __future__ import annotations

import contextlib
from urllib.parse import urlparse

import psutil


def grandchildren_cpu_seconds(pid: int) -> dict[int, float]:
    """The CPU seconds (user and system) so far of each process below the child of `pid`
    (/usr/bin/time's command): the import's worker, by process id."""
    seconds: dict[int, float] = {}
    with contextlib.suppress(psutil.NoSuchProcess):
        for child in psutil.Process(pid).children():
            for process in child.children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    times = process.cpu_times()
                    seconds[process.pid] = times.user + times.system
    return seconds


def database_cpu_seconds(url: str) -> float | None:
    """The CPU seconds PostgreSQL's processes have used so far, those ended included (the
    postmaster counts the backends it reaped), when the server runs on this machine and
    its processes can be read; None otherwise (SQLite's work is the importer's own)."""
    parsed = urlparse(url)
    if not parsed.scheme.startswith("postgres") or parsed.hostname not in LOCAL_HOSTS:
        return None
    total, seen = 0.0, False
    for process in psutil.process_iter(["name"]):
        if not (process.info["name"] or "").startswith("postgres"):
            continue
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
            seen = True
    return total if seen else None


LOCAL_HOSTS = (None, "", "127.0.0.1", "localhost", "::1")


def tree_rss_kb(pid: int) -> int:
    """The resident memory of a process and all its descendants, in KiB; what ends
    meanwhile counts for nothing."""
    total = 0
    with contextlib.suppress(psutil.NoSuchProcess):
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
    return total // 1024


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: the processes whose parent is the master."""
    return sorted(child.pid for child in psutil.Process(master).children())


def rss_mb(pid: int) -> float:
    """A process's resident memory (VmRSS), in MiB."""
    return psutil.Process(pid).memory_info().rss / 2**20
