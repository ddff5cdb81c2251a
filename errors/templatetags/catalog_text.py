"""Template filters for the catalog's one-line texts."""

from __future__ import annotations

import html
import re

from django import template
from django.utils.safestring import SafeString, mark_safe

from errors.wire import pointer_path

register = template.Library()

BACKTICKS = re.compile(r"`([^`\n]+)`")


@register.filter
def inline_code(text: str) -> SafeString:
    """Escape a one-line text and show its `backticked` parts as code, as Markdown would.

    Summaries and envelope field descriptions are plain text, but editors (and the seed
    pages) quote field names and values in backticks.
    """
    # html.escape is what django.utils.html.escape does, without its lazy-string wrapper,
    # which cost more than the escaping on a table of 1,000 summaries.
    escaped = html.escape(str(text or ""))
    # The text was escaped first: only the <code> tags added here are markup.
    return mark_safe(BACKTICKS.sub(r"<code>\1</code>", escaped))


@register.filter
def json_path(pointer: str) -> str:
    """A JSON pointer as developers write the path in code: `/error/code` -> `error.code`."""
    return pointer_path(str(pointer or ""))


def words(text: str) -> list[str]:
    """The words of a name, whatever its case and separators: RATE_LIMITED, RateLimited
    and "Rate limited" are the same words."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text or "")
    return re.sub(r"[^a-z0-9]+", " ", spaced.lower()).split()


@register.filter
def says_more(title: str, code: str) -> bool:
    """Whether a title says more than its code spelt out ("Rate limited" does not say
    more than RATE_LIMITED), so a page shows it."""
    return words(title) != words(code)
