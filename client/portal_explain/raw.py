"""A raw error response as a person pastes it: the body alone, or the full HTTP text
(`curl -i`: status line, headers, blank line, body)."""

from __future__ import annotations

import json
import re
from typing import Any

STATUS_LINE = re.compile(r"HTTP/\d(?:\.\d)?[ \t]+(\d{3})\b[^\r\n]*(?:\r?\n|$)")
BLANK_LINE = re.compile(r"\r?\n\r?\n")


def parse_response(text: str, status: int | None = None, service: str = "") -> dict[str, Any]:
    """The request body of the portal's identify: status, headers and body."""
    headers: dict[str, str] = {}
    rest = text.lstrip("\ufeff")
    # curl -i may show several heads (100 Continue, a proxy's 200): the last one counts.
    while match := STATUS_LINE.match(rest.lstrip()):
        status = int(match.group(1))
        rest = rest.lstrip()[match.end() :]
        parts = BLANK_LINE.split(rest, maxsplit=1)
        head, rest = parts[0], parts[1] if len(parts) > 1 else ""
        headers = {}
        for line in head.splitlines():
            name, colon, value = line.partition(":")
            if colon and name.strip():
                headers[name.strip().lower()] = value.strip()
    body_text = rest.strip()
    body: Any
    try:
        body = json.loads(body_text) if body_text else None
    except ValueError:
        body = body_text
        headers.setdefault("content-type", "text/plain")
    request: dict[str, Any] = {"body": body}
    if status is not None:
        request["status"] = status
    if headers:
        request["headers"] = headers
    if service:
        request["service"] = service
    return request
