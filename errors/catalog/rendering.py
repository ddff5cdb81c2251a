"""Render every stored Markdown text again, after the renderer's rules changed.

The HTML is made once, when a row is saved; a release that tightens the sanitiser (issue
13: editors' `class` and `id` attributes) leaves the HTML saved before it as it was until
`manage.py rerender_html` runs this. It also stores what identify reads that rows saved
before migrations 0013 and 0014 lack: typical messages' forms and example shapes."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from errors.models import Category, ErrorCode, Example, Guide, Service

RENDERED: list[tuple[Any, list[str]]] = [
    (Service, ["description_html", "stability_html"]),
    (Category, ["description_html"]),
    (ErrorCode, ["description_html", "resolution_html", "code_key", "message_forms"]),
    (Example, ["description_html", "body_html", "shape"]),
    (Guide, ["body_html"]),
]


def rerender_stored_html(batch_size: int = 500) -> dict[str, int]:
    """Render each row's Markdown again and save the rows whose HTML changed, in one
    transaction; how many rows changed, by model."""
    changed: dict[str, int] = {}
    with transaction.atomic():
        for model, fields in RENDERED:
            rows = []
            for row in model.objects.order_by("pk").iterator(chunk_size=batch_size):
                before = [getattr(row, name) for name in fields]
                row.render_html()
                if [getattr(row, name) for name in fields] != before:
                    rows.append(row)
            model.objects.bulk_update(rows, fields, batch_size=batch_size)
            changed[str(model._meta.verbose_name_plural)] = len(rows)
    return changed
