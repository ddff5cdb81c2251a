"""A code's documentation as terminal text, for `manage.py explain` (like `rustc --explain`)."""

from __future__ import annotations

import textwrap

from errors.lookup import find_codes, nearest_codes
from errors.markdown import pretty_json
from errors.models import ErrorCode
from errors.retry_rules import delay_phrase

WIDTH = 88


class UnknownCode(LookupError):
    """No code matched; `suggestions` holds the nearest spellings."""

    def __init__(self, code: str, suggestions: list[ErrorCode]) -> None:
        self.code = code
        self.suggestions = suggestions
        super().__init__(code)

    @property
    def message(self) -> str:
        text = f"No error code {self.code!r} in the catalog."
        if self.suggestions:
            names = ", ".join(f"{error.code} ({error.service.slug})" for error in self.suggestions)
            text += f" Did you mean: {names}?"
        return text + " Search with: python manage.py explain <CODE> [--service SLUG]"


def explain(code: str, service_slug: str = "") -> str:
    """Every match for `code` (case, separators and aliases ignored), as terminal text."""
    found = find_codes(code, service=service_slug or None, whole=True)
    if not found:
        raise UnknownCode(code, nearest_codes(code, service=service_slug))
    return "\n\n".join(explain_one(error) for error in found) + "\n"


def _paragraphs(text: str) -> str:
    blocks = []
    for block in text.strip().split("\n\n"):
        if block.startswith(("```", "    ", "|", "- ", "* ", "1.")):
            blocks.append(block)  # code, tables and lists keep their lines
        else:
            blocks.append(textwrap.fill(" ".join(block.split()), WIDTH))
    return "\n\n".join(blocks)


def explain_one(error: ErrorCode, base_url: str = "") -> str:
    """One code: heading, facts, then the Markdown sections as written; the page's link
    is absolute under `base_url` when given."""
    status = f"HTTP {error.http_status} {error.reason_phrase}".strip() if error.http_status else ""
    heading = f"{error.code}  [{error.service.name}]" + (f"  {status}" if status else "")
    lines = [heading, "=" * len(heading), "", textwrap.fill(error.title, WIDTH)]
    if error.summary and error.summary != error.title:
        lines += ["", textwrap.fill(error.summary, WIDTH)]
    # A rule the documentation does not state is not shown, as on the code's page.
    facts = [] if error.retry == ErrorCode.Retry.NOT_STATED else [("Retry", retry_fact(error))]
    if error.category:
        facts.insert(0, ("Category", error.category.name))
    if error.lifecycle != ErrorCode.Lifecycle.ACTIVE:
        since = f" since {error.lifecycle_since}" if error.lifecycle_since else ""
        use = f"; use {error.replaced_by.code} instead" if error.replaced_by else ""
        facts.append(("Lifecycle", f"{error.get_lifecycle_display()}{since}{use}"))
    if error.aliases:
        facts.append(("Aliases", ", ".join(error.aliases)))
    if not error.published:
        facts.append(("Draft", "not published"))
    lines += [""] + [f"{name + ':':<10} {value}" for name, value in facts]
    for title, text in (
        ("Description", error.description),
        ("Resolution", error.resolution),
    ):
        if text.strip():
            lines += ["", title, "-" * len(title), _paragraphs(text)]
    if error.details_shape.strip():
        lines += ["", "Details", "-------", error.details_shape.strip()]
    if error.messages:
        lines += ["", "Typical messages", "----------------"]
        lines += [f"  {message}" for message in error.messages]
    for example in error.examples.all():
        title = f"Example ({example.get_language_display()})"
        if example.title:
            title += f": {example.title}"
        body = pretty_json(example.body) if example.language == "json" else example.body
        lines += ["", title, "-" * len(title), textwrap.indent(body.strip(), "    ")]
    lines += ["", f"Page: {base_url.rstrip('/')}{error.get_absolute_url()}"]
    return "\n".join(lines)


def retry_fact(error: ErrorCode) -> str:
    """The rule's label, with where its delay comes from when the catalog says."""
    delay = delay_phrase(error.retry_delay_from).replace("`", "")
    return f"{error.get_retry_display()} ({delay})" if delay else error.get_retry_display()
