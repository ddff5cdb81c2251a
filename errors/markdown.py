"""The one place where HTML is made from editors' text: Markdown and example bodies.

Everything that reaches a page goes through `nh3`, so raw HTML, event handlers and
`javascript:` links written by an editor never do.
"""

from __future__ import annotations

import json
import re
import threading
from functools import lru_cache
from typing import Any

import markdown as markdown_lib
import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from errors.render_cache import prerenderable

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id"},
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}

MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "codehilite", "toc"]
MARKDOWN_CONFIG: dict[str, dict[str, Any]] = {
    "codehilite": {"css_class": "highlight", "guess_lang": False},
    "toc": {"permalink": False},
}

# Example languages and the Pygments lexers that colour them.
LEXERS = {
    "json": "json",
    "http": "http",
    "python": "python",
    "curl": "bash",
    "shell": "bash",
    "javascript": "javascript",
    "typescript": "typescript",
    "go": "go",
    "java": "java",
    "ruby": "ruby",
    "yaml": "yaml",
    "xml": "xml",
    "text": "text",
}


# Editors' ids and classes must not pass for the page's own: `class="banner banner-draft"`
# faked the portal's notices and `id="search-q"` broke its scripts. Classes keep only
# what code highlighting makes; ids (the headings' anchors) and links to them get a prefix.
HIGHLIGHT_CLASSES = frozenset({"highlight", *STANDARD_TYPES.values()}) - {""}
ID_PREFIX = "md-"


def _own_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [name for name in value.split() if name in HIGHLIGHT_CLASSES]
        return " ".join(kept) or None
    if attribute == "id":
        return value if value.startswith(ID_PREFIX) else ID_PREFIX + value
    if attribute == "href" and value.startswith("#") and not value.startswith("#" + ID_PREFIX):
        return "#" + ID_PREFIX + value[1:]
    return value


def sanitise_html(html: str) -> str:
    """Strip every tag, attribute and URL scheme not on the allow-lists; editors' ids and
    classes cannot pass for the page's own."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_own_attribute,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


_local = threading.local()


def _converter() -> markdown_lib.Markdown:
    # Building a Markdown instance costs more than converting a short text: keep one per
    # thread (instances are not thread-safe) and reset it between texts.
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = markdown_lib.Markdown(
            extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_CONFIG
        )
        _local.converter = converter
    return converter


# Text with none of Markdown's syntax renders to its paragraphs unchanged; most one-line
# summaries and resolutions are such text, and skipping the parser makes bulk imports
# several times faster. Anything that might be syntax takes the full path.
_SYNTAX = re.compile(r"[`*_\[\]<>#|\\&~=]|^\s*(?:[-+>]|\d+[.)](?:\s|$))|^ {4}|[^\S \n]| $", re.M)


def _plain_paragraphs(text: str) -> str | None:
    stripped = text.strip("\n")
    if _SYNTAX.search(stripped) or "\r" in stripped:
        return None
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", stripped) if part.strip()]
    return "\n".join(f"<p>{part}</p>" for part in paragraphs)


# Inline code is the Markdown that error texts use most (`details`, `request_id`): text
# whose only syntax is such spans takes a short path too. A span here is one backtick,
# then no backtick, backslash or whitespace but spaces, then one backtick; the parser reads exactly
# that as <code> with the content stripped and &, <, > escaped.
_CODE_SPAN = re.compile(r"(?<!`)`((?:[^`\\\s]| )+)`(?!`)")
_SPAN_MARK = "\x00"


def _code_span_paragraphs(text: str) -> str | None:
    if "`" not in text or any(mark in text for mark in (_SPAN_MARK, "\x02", "\x03")):
        return None
    spans: list[str] = []

    def hold(match: re.Match[str]) -> str:
        spans.append(match.group(1).strip())
        return _SPAN_MARK

    # The mark stands in for each span, so the rest is checked as plain text would be.
    html = _plain_paragraphs(_CODE_SPAN.sub(hold, text))
    if html is None:
        return None
    codes = iter(spans)
    html = re.sub(_SPAN_MARK, lambda _: f"<code>{_code_escape(next(codes))}</code>", html)
    return sanitise_html(html)


def _code_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Python-Markdown looks for the `]` of every `[` (and the `)` of a link) by scanning
# ahead, to the end of the text when there is none: 20 KB of `[` took more than 30 s.
# The scans a text costs are counted first, in one pass; past this budget, about a tenth
# of a second, the text is shown as it was written, in escaped paragraphs.
BRACKET_SCAN_BUDGET = 2_000_000


def bracket_scan_cost(text: str) -> int:
    """The characters the parser's bracket matching reads: from each `[` (and each `(`,
    for a link's address) to its closing one, or to the end of the text without one."""
    cost = 0
    for opening, closing in ("[]", "()"):
        open_at: list[int] = []
        for match in re.finditer(re.escape(opening) + "|" + re.escape(closing), text):
            if match.group() == opening:
                open_at.append(match.start())
            elif open_at:
                cost += match.start() - open_at.pop()
        cost += sum(len(text) - start for start in open_at)
    return cost


def _escaped_paragraphs(text: str) -> str:
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
    return "\n".join(f"<p>{escape(part)}</p>" for part in paragraphs)


@lru_cache(maxsize=4096)
def _render_markdown(text: str) -> str:
    html = _plain_paragraphs(text)
    if html is None:
        html = _code_span_paragraphs(text)
    if html is not None:
        return html
    if bracket_scan_cost(text) > BRACKET_SCAN_BUDGET:
        return _escaped_paragraphs(text)
    return sanitise_html(_converter().reset().convert(text))


@prerenderable
def render_markdown(text: str) -> SafeString:
    """Render editor Markdown to sanitised HTML with highlighted code blocks."""
    if not text or not text.strip():
        return mark_safe("")
    return mark_safe(_render_markdown(text))


def pretty_json(body: str) -> str:
    """Indent a JSON body for reading; text that is not JSON comes back unchanged."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


_FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer:
    return get_lexer_by_name(LEXERS.get(language, language))


def load_lexers() -> None:
    """Import the lexer of every example language: Pygments imports each on its first
    use, in the request that first shows one (a service page's envelope)."""
    for language in LEXERS:
        _lexer(language)


@prerenderable
def highlight_code(body: str, language: str) -> SafeString:
    """Colour an example body with Pygments; JSON is pretty-printed first."""
    if language == "json":
        body = pretty_json(body)
    try:
        lexer = _lexer(language)
    except ClassNotFound:
        return mark_safe(f'<div class="highlight"><pre><code>{escape(body)}</code></pre></div>')
    # Pygments escapes every character of the body itself: its output needs no sanitising.
    return mark_safe(highlight(body, lexer, _FORMATTER))


def highlight_stylesheet() -> str:
    """The Pygments CSS for light and dark themes, for static/errors/highlight.css."""
    light = HtmlFormatter(style="friendly").get_style_defs(".highlight")
    dark = HtmlFormatter(style="monokai").get_style_defs(".highlight")
    indented_dark = "\n".join("  " + line for line in dark.splitlines())
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{indented_dark}\n}}\n"
