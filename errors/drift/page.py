"""The drift as pages show it: a service's report with its chart, and the line on a
code's page. Built on errors.drift.report, so the page, the API and drift_report agree."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString

from errors.drift.chart import bar_chart
from errors.drift.report import (
    KINDS,
    TITLES,
    Window,
    code_activity,
    drift_report,
    observations_per_day,
)
from errors.models import ErrorCode, Service

WINDOWS = (("7d", 7), ("30d", 30), ("90d", 90))
CODE_PAGE_DAYS = 30


@dataclass
class DriftSection:
    """One kind of drift and its rows."""

    kind: str
    title: str
    rows: list[dict[str, Any]]


@dataclass
class DriftPage:
    """Everything /services/<slug>/drift/ shows."""

    service: Service
    since: str
    windows: tuple[tuple[str, int], ...]
    report: dict[str, Any]
    sections: list[DriftSection]
    chart: SafeString


def drift_page(service: Service, since: str, days: int) -> DriftPage:
    """The report of `service` over `days` days, with observations per day drawn."""
    report = drift_report(service, days)
    window = Window.of(days)
    chart = bar_chart(observations_per_day(service, window), window.first, window.now.date())
    sections = [DriftSection(kind, TITLES[kind], report[kind]) for kind in KINDS]
    # The undocumented rows' samples as JSON, for reading.
    sections[0].rows = [
        {**row, "sample_json": json.dumps(row["sample"], indent=2, ensure_ascii=False)}
        for row in report["undocumented"]
    ]
    return DriftPage(service, since, WINDOWS, report, sections, chart)


@dataclass
class DriftLine:
    """`seen 1,240 times in the last 30 days, last 2 hours ago, always 429` and a chart."""

    sentence: str
    chart: SafeString | None


def drift_line(error: ErrorCode) -> DriftLine | None:
    """The code page's line, or None when the service reports no observations."""
    activity = code_activity(error, CODE_PAGE_DAYS)
    if activity is None:
        return None
    window = activity.window
    chart = (
        bar_chart(activity.per_day, window.first, window.now.date(), width=150, height=20)
        if activity.count
        else None
    )
    return DriftLine(activity.sentence, chart)
