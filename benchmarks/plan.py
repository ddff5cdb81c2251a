"""What a benchmark run is asked to measure, at which sizes, and what it found."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"


ROTATE_LUA = BENCHMARKS / "rotate.lua"


PARTS = (
    "import", "identify", "page", "startup", "search_http", "api", "proxy", "load", "memory",
    "search",
)  # fmt: skip


SECRET_KEY = "benchmark-only-secret-key-not-for-production-use-0123456789abcdef"


RESULT_MARK = "BENCH_RESULT "


API_READS = {
    "lookup": "lookup API, all services",
    "lookup_one": "lookup API, `&service=`",
    "detail": "code-detail API",
}


PROXIED_READS = {
    "detail": "code-detail API",
    "pages": "code pages (HTML)",
    "service_pages": "service pages (HTML)",
}


@dataclass
class Sizes:
    """How big and how long: the full run or --quick."""

    services: int
    codes_per_service: int
    search_codes: list[int]
    search_samples: int
    identify_calls: int
    page_repeats: int
    rounds: int
    seconds: int
    load_seconds: int


FULL = Sizes(100, 1000, [10_000, 100_000], 100, 300, 15, 5, 5, 60)


QUICK = Sizes(4, 250, [1000], 10, 30, 3, 1, 2, 2)


@dataclass
class Run:
    """What one run was asked to do and what it found."""

    options: argparse.Namespace
    sizes: Sizes
    workdir: Path
    env: dict[str, str]
    results: dict[str, dict] = field(default_factory=dict)
    load_averages: list[float] = field(default_factory=list)

    def wants(self, part: str) -> bool:
        return part in self.options.only

    def note_load(self) -> None:
        self.load_averages.append(os.getloadavg()[0])
