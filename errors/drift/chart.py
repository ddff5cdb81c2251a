"""Observations per day as a small bar chart: inline SVG made on the server, with no
script, no style attribute and nothing fetched, so the pages' CSP holds."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def days_between(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def bar_chart(
    counts: Mapping[date, int], first: date, last: date, *, width: int = 600, height: int = 60
) -> SafeString:
    """An SVG bar per day from `first` to `last` (zero where nothing was seen), each
    with a tooltip; the label sums it up for screen readers."""
    days = days_between(first, last)
    peak = max((counts.get(day, 0) for day in days), default=0) or 1
    step = width / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        count = counts.get(day, 0)
        bar = max(round(count / peak * (height - 2), 1), 1 if count else 0)
        bars.append(
            (
                round(index * step, 1),
                round(height - bar, 1),
                round(max(step - 1, 1), 1),
                bar,
                f"{day.isoformat()}: {count:,}",
            )
        )
    total = sum(counts.get(day, 0) for day in days)
    label = f"Observations per day, {first.isoformat()} to {last.isoformat()}: {total:,} in all"
    return format_html(
        '<svg class="drift-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" '
        'height="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
        '<line x1="0" y1="{}" x2="{}" y2="{}" stroke="currentColor" stroke-opacity="0.3"/>'
        "{}</svg>",
        label,
        width,
        height,
        width,
        height,
        label,
        height - 0.5,
        width,
        height - 0.5,
        format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" fill="currentColor">'
            "<title>{}</title></rect>",
            bars,
        ),
    )
