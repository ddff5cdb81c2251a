"""The catalog as plain text, for tools and language models that read docs: a code's page
as Markdown (`.../errors/<code>.md`) and the portal's `/llms.txt` (llmstxt.org)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from django.urls import reverse

from errors.markdown import pretty_json
from errors.models import ErrorCode, Service

# Issue 14 adds "not_stated" to the model's choices; until then it is named here.
RETRY_TEXT = {**dict(ErrorCode.Retry.choices), "not_stated": "Not stated"}


def retry_text(value: str) -> str:
    """The retry rule as people read it; "not_stated" is not "never"."""
    return RETRY_TEXT.get(value, value)


def _fence(body: str, language: str) -> str:
    """A fenced code block that no backtick run inside the body can close."""
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{body.rstrip()}\n{ticks}"


def code_markdown(error: ErrorCode, base_url: str) -> str:
    """One code as a Markdown document: heading, facts, the editors' Markdown sections as
    they wrote them, examples as fenced blocks, and the links to its page and entry."""
    base = base_url.rstrip("/")
    service = error.service
    lines = [f"# {error.code}: {error.title}", ""]
    if error.summary and error.summary != error.title:
        lines += [error.summary, ""]
    status = f"{error.http_status} {error.reason_phrase}".strip() if error.http_status else "none"
    facts = [
        ("Service", f"[{service.name}]({base}{service.get_absolute_url()}) (`{service.slug}`)"),
        ("HTTP status", status),
        ("Retry", f"{retry_text(error.retry)} (`{error.retry}`)"),
        ("Lifecycle", error.get_lifecycle_display()),
    ]
    if error.category:
        facts.insert(1, ("Category", error.category.name))
    if error.lifecycle_since:
        facts.append(("Lifecycle since", error.lifecycle_since))
    if error.replaced_by:
        replacement = error.replaced_by
        facts.append(
            ("Use instead", f"[{replacement.code}]({base}{replacement.get_absolute_url()})")
        )
    if error.aliases:
        facts.append(("Old names", ", ".join(f"`{alias}`" for alias in error.aliases)))
    if error.tags:
        facts.append(("Tags", ", ".join(error.tags)))
    if not error.published:
        facts.append(("Draft", "not published"))
    lines += [f"- **{name}:** {value}" for name, value in facts]
    for title, text in (("Description", error.description), ("Resolution", error.resolution)):
        if text.strip():
            lines += ["", f"## {title}", "", text.strip()]
    if error.details_shape.strip():
        lines += ["", "## Details", "", _fence(error.details_shape.strip(), "")]
    if error.messages:
        lines += ["", "## Typical messages", ""]
        lines += [f"- {json.dumps(message, ensure_ascii=False)}" for message in error.messages]
    for example in error.examples.all():
        heading = f"## Example ({example.get_language_display()})"
        if example.title:
            heading += f": {example.title}"
        body = pretty_json(example.body) if example.language == "json" else example.body
        lines += ["", heading, ""]
        if example.description.strip():
            lines += [example.description.strip(), ""]
        lines.append(_fence(body, example.language))
    api = reverse("api:error", args=[service.slug, error.code])
    lines += [
        "",
        "## Links",
        "",
        f"- Page: {base}{error.get_absolute_url()}",
        f"- JSON entry: {base}{api}",
    ]
    return "\n".join(lines) + "\n"


def llms_txt(services: Iterable[Service], base_url: str) -> str:
    """The portal's /llms.txt: what it is, how to read the catalog as text, and every
    service with the number of codes anyone may see."""
    base = base_url.rstrip("/")
    lines = [
        "# Error portal",
        "",
        "> The error codes of the company's HTTP APIs in one place: each service's error "
        "envelope, and every code with its HTTP status, meaning, resolution, retry rule and "
        "examples.",
        "",
        "Read the catalog as text:",
        "",
        f"- Any code as Markdown: {base}/services/<service>/errors/<CODE>.md "
        "(case, `_`, `-` and spaces in the code do not matter; old names work too).",
        f"- Any code page as JSON: send `Accept: application/json` to "
        f"{base}/services/<service>/errors/<CODE>/ (the same keys as the API's entry).",
        f"- Short links: {base}/e/<service>/<CODE> redirects to the code's page.",
        f"- Look a code up in every service: {base}/api/v1/lookup/?code=<CODE>",
        f"- Search: {base}/api/v1/errors/?q=<words>",
        f"- A whole service's catalog as YAML: {base}/api/v1/services/<service>/catalog/"
        "?format=yaml",
        "",
        "## Services",
        "",
    ]
    for service in services:
        summary = f": {service.summary}" if service.summary else ""
        lines.append(
            f"- [{service.name}]({base}{service.get_absolute_url()}) (`{service.slug}`, "
            f"{service.code_count} codes){summary}"
        )
    lines += [
        "",
        "## Optional",
        "",
        f"- [API reference]({base}/api/docs/): the JSON API, with its OpenAPI schema at "
        f"{base}/api/v1/schema/",
    ]
    return "\n".join(lines) + "\n"
