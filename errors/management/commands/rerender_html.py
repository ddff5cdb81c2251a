"""`manage.py rerender_html`: render every stored Markdown text with today's rules."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from errors.catalog.rendering import rerender_stored_html


class Command(BaseCommand):
    help = (
        "Render the stored Markdown of every service, category, code, example and guide "
        "again (after an upgrade that changed the renderer), saving what changed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for name, count in rerender_stored_html().items():
            self.stdout.write(f"{name}: {count} re-rendered")
