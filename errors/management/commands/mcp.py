"""`manage.py mcp`: the portal's MCP server on standard input/output, for an assistant
that starts it as a subprocess."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError, CommandParser

from errors.mcp_server.transports import run_stdio

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = (
        "Serve the Model Context Protocol on standard input/output: tools lookup_error, "
        "search_errors, identify_error and list_services, and the catalog as resources. "
        "Published codes only, as anonymous readers see them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default=os.environ.get("PORTAL_URL", ""),
            help="The portal's address, for the pages' links (html_url) (default: $PORTAL_URL, "
            f"else {DEFAULT_BASE_URL}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = options["base_url"] or DEFAULT_BASE_URL
        if not base_url.startswith(("http://", "https://")):
            raise CommandError(f"--base-url must start with http:// or https://, not {base_url!r}.")
        run_stdio(base_url, AnonymousUser())
