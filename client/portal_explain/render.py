"""Entries as terminal text: a heading, the facts, then the documentation as written."""

from __future__ import annotations

import contextlib
import json
import shutil
import textwrap
from http import HTTPStatus
from typing import Any

RETRY = {
    "never": "Never retry",
    "safe": "Safe to retry",
    "backoff": "Retry with backoff",
    "retry_after": "Retry after Retry-After",
    "not_stated": "Not stated",
}


def width() -> int:
    """The terminal's width, at most 88 columns."""
    return min(shutil.get_terminal_size((88, 24)).columns, 88)


def _paragraphs(text: str, columns: int) -> str:
    blocks = []
    for block in text.strip().split("\n\n"):
        if block.startswith(("```", "    ", "|", "- ", "* ", "1.", "#")):
            blocks.append(block)  # code, tables, lists and headings keep their lines
        else:
            blocks.append(textwrap.fill(" ".join(block.split()), columns))
    return "\n\n".join(blocks)


def status_text(entry: dict[str, Any], phrase: bool = False) -> str:
    """`HTTP 429` (`HTTP 429 Too Many Requests` with the phrase), or '' for an entry
    without a status."""
    status = entry.get("http_status")
    if not status:
        return ""
    try:
        reason = HTTPStatus(status).phrase if phrase else ""
    except ValueError:
        reason = ""
    return f"HTTP {status} {reason}".strip()


def headline(entry: dict[str, Any]) -> str:
    """One line: code, service, status and title."""
    status = status_text(entry)
    return (
        f"{entry['code']}  [{entry['service']}]"
        + (f"  {status}" if status else "")
        + (f"  {entry['title']}" if entry.get("title") else "")
    )


def explain(entry: dict[str, Any]) -> str:
    """One entry in full (the API's entry with its texts and examples)."""
    columns = width()
    status = status_text(entry, phrase=True)
    heading = f"{entry['code']}  [{entry['service']}]" + (f"  {status}" if status else "")
    lines = [heading, "=" * len(heading), "", textwrap.fill(entry.get("title", ""), columns)]
    summary = entry.get("summary") or ""
    if summary and summary != entry.get("title"):
        lines += ["", textwrap.fill(summary, columns)]
    facts = []
    if entry.get("category"):
        facts.append(("Category", entry["category"]["name"]))
    facts.append(("Retry", RETRY.get(entry.get("retry", ""), entry.get("retry", ""))))
    if entry.get("lifecycle", "active") != "active":
        since = f" since {entry['lifecycle_since']}" if entry.get("lifecycle_since") else ""
        use = f"; use {entry['replaced_by']} instead" if entry.get("replaced_by") else ""
        facts.append(("Lifecycle", f"{entry['lifecycle'].capitalize()}{since}{use}"))
    if entry.get("aliases"):
        facts.append(("Aliases", ", ".join(entry["aliases"])))
    if entry.get("published") is False:
        facts.append(("Draft", "not published"))
    lines += [""] + [f"{name + ':':<10} {value}" for name, value in facts]
    for title, key in (("Description", "description"), ("Resolution", "resolution")):
        text = entry.get(key) or ""
        if text.strip():
            lines += ["", title, "-" * len(title), _paragraphs(text, columns)]
    if (entry.get("details_shape") or "").strip():
        lines += ["", "Details", "-------", entry["details_shape"].strip()]
    if entry.get("messages"):
        lines += ["", "Typical messages", "----------------"]
        lines += [f"  {message}" for message in entry["messages"]]
    for example in entry.get("examples") or []:
        title = f"Example ({example.get('language', 'text')})"
        if example.get("title"):
            title += f": {example['title']}"
        body = example.get("body", "")
        if example.get("language") == "json":
            with contextlib.suppress(ValueError):
                body = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        lines += ["", title, "-" * len(title), textwrap.indent(body.strip(), "    ")]
    lines += ["", f"Page: {entry.get('html_url', '')}"]
    return "\n".join(lines)
