"""The search page's rows: the meaning or a snippet of the prose a hit matched (never the
code's name again, Markdown shown as it reads), the best match, a corrected spelling."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from errors.codes import code_key
from errors.models import ErrorCode
from errors.search.results import SearchHit, SearchResults
from errors.templatetags.catalog_text import inline_code

# How far ahead of the second the first hit must score to be called the best match.
BEST_MATCH_LEAD = 2.0


@dataclass
class SearchRow:
    """One result as the page prints it."""

    error: ErrorCode
    snippet: str
    matched: str
    best: bool = False


# Fields a hit's line already shows: a snippet of them would say the name again.
NAME_FIELDS = ("code", "aliases", "title", "")
MARKDOWN_MARKS = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|^#+\s|^>\s", re.M)
MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


# The highlight's tags around matched words (errors.search.highlight).
HIGHLIGHT_TAG = re.compile(r"</?mark>")


def plain_snippet(html: str) -> SafeString:
    """A snippet's escaped HTML with Markdown shown as it reads: `code` as code, links as
    their text, emphasis marks dropped. No raw backticks reach the page."""
    text = MARKDOWN_LINK.sub(r"\1", str(html))
    text = _without_emphasis(text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return mark_safe(text.replace("`", ""))


def _without_emphasis(html: str) -> str:
    """`html` without Markdown's emphasis marks, read as if the highlight's tags were not
    there: the `_` of `<mark>NOT</mark>_<mark>FOUND</mark>` is inside a word, not one."""
    text = HIGHLIGHT_TAG.sub("", html)
    dropped = {i for mark in MARKDOWN_MARKS.finditer(text) for i in range(*mark.span())}
    if not dropped:
        return html  # nearly every snippet, on every search page: nothing to take out
    tags: list[tuple[int, str]] = []  # where each tag stands in the text without them
    removed = 0
    for tag in HIGHLIGHT_TAG.finditer(html):
        tags.append((tag.start() - removed, tag.group()))
        removed += len(tag.group())
    out = []
    for i, char in enumerate(text):
        while tags and tags[0][0] == i:
            out.append(tags.pop(0)[1])
        if i not in dropped:
            out.append(char)
    out.extend(tag for _, tag in tags)  # those after the last character
    return "".join(out)


def search_row(hit: SearchHit) -> SearchRow:
    """A hit with the text to show under it: the meaning, or the engine's snippet of the
    prose it matched; never the code's name again."""
    highlight = getattr(hit, "highlight", "")
    if hit.matched in NAME_FIELDS or not highlight:
        snippet = inline_code(hit.error.summary or hit.error.title)
    else:
        snippet = plain_snippet(conditional_escape(highlight))
    return SearchRow(hit.error, snippet, hit.matched)


def best_match(results: SearchResults) -> SearchHit | None:
    """The first hit, when it is far ahead of the second (or alone)."""
    hits = results.hits
    if results.page != 1 or not hits:
        return None
    if len(hits) == 1:
        return hits[0]
    first, second = hits[0].score, hits[1].score
    return hits[0] if second > 0 and first >= BEST_MATCH_LEAD * second else None


def corrected_code(results: SearchResults) -> str:
    """The code a misspelt query was taken for ("Showing results for RATE_LIMITED"), or ''."""
    hits, key = results.hits, code_key(results.query.text)
    if not hits or not key or " " in results.query.text.strip():
        return ""
    first = hits[0]
    misspelt = first.matched == "code" and not first.error.code_key.startswith(key)
    if misspelt and not any(hit.error.code_key.startswith(key) for hit in hits):
        return first.error.code
    return ""
