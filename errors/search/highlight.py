"""What a hit shows under its title: the field the text matched and a snippet of it,
escaped, with the matched words in <mark>."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from errors.codes import code_key
from errors.models import ErrorCode
from errors.search.plan import TextPlan

# Fields searched for the highlighted snippet, best first, as the ranking orders them.
# The example bodies are read only for a hit that none of these explains (search reads
# them for those hits alone, in one query).
HIGHLIGHT_FIELDS = (
    "code",
    "aliases",
    "title",
    "summary",
    "messages",
    "description",
    "resolution",
)
EXAMPLE_FIELDS = ("examples",)


SNIPPET_LENGTH = 160


# Only the start of a long field is searched for the snippet.
HIGHLIGHT_SCAN = 4000


# Words of a text for highlighting, CamelCase split as search_terms splits it.
WORD_PATTERN = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^\W\d_A-Za-z]+")


def _field_text(error: ErrorCode, name: str) -> str:
    if name == "examples":
        return " … ".join(example.body for example in error.examples.all())
    value = getattr(error, name)
    return " · ".join(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class TermPattern:
    """Which words of a text the search would have matched, for highlighting."""

    regex: re.Pattern[str]
    # What every matched word starts with (its literals), in lowercase text: only the
    # runs of word characters holding one are read word by word (reading every word of
    # a field was most of what highlighting cost), and a field holding none has no match.
    literals: re.Pattern[str]

    def match(self, word: str) -> re.Match[str] | None:
        """Whether the lowercase `word` is one the search matched."""
        return self.regex.match(word)


def term_pattern(plan: TextPlan) -> TermPattern:
    """A lowercase word the search would have matched: a crude stem of a query word
    (the engines stem, so `exceeds` matched `exceeded` there), or the word itself."""
    parts, literals = [], []
    for position, term in enumerate(plan.terms):
        prefix = plan.prefix_last and position == len(plan.terms) - 1
        stem = term[: max(4, len(term) - 2)] if len(term) > 4 else term
        parts.append(re.escape(stem) if (prefix or stem != term) else re.escape(term) + r"\Z")
        literals.append(stem)
    return TermPattern(
        re.compile("|".join(parts) or r"(?!)"),
        re.compile("|".join(re.escape(literal) for literal in literals) or r"(?!)"),
    )


def highlight_error(
    error: ErrorCode,
    plan: TextPlan,
    pattern: TermPattern | None = None,
    fields: tuple[str, ...] = HIGHLIGHT_FIELDS,
) -> tuple[str, SafeString]:
    """The field of `fields` the text matched and a snippet of it, escaped, the words in
    <mark>; no field (and the summary) when none of them holds a matched word."""
    pattern = pattern or term_pattern(plan)
    if plan.key and (
        error.code_key.startswith(plan.key)
        or any(code_key(alias) == plan.key for alias in error.aliases)
    ):
        field_name = "code" if error.code_key.startswith(plan.key) else "aliases"
        text = _field_text(error, field_name)
        return field_name, format_html("<mark>{}</mark>", text)
    best: tuple[int, str, list[tuple[int, int]], str] = (0, "", [], "")
    for name in fields:
        text = _field_text(error, name)
        spans = _matched_spans(text, pattern)
        # The field with the most distinct query words wins; ties go to the earlier field.
        words = len({text[start:end].lower() for start, end in spans})
        if words > best[0]:
            best = (words, name, spans, text)
    words, name, spans, text = best
    if words:
        return name, _snippet(text, spans)
    return "", escape(error.summary or error.title)


# A run of word characters: no word (WORD_PATTERN) spans two.
WORD_RUN = re.compile(r"\w+")


def _matched_spans(text: str, pattern: TermPattern) -> list[tuple[int, int]]:
    scanned = text[:HIGHLIGHT_SCAN]
    lowered = scanned.lower()
    if len(lowered) != len(scanned):  # lowering changed the length: every word is read
        return _spans_between(scanned, pattern, 0, len(scanned))
    # Words are split from runs of word characters (further at capitals and digits), and
    # a matched word starts with a literal: only the runs holding a literal are read.
    spans: list[tuple[int, int]] = []
    read_to = 0
    for literal in pattern.literals.finditer(lowered):
        if literal.start() < read_to:
            continue  # in a run read already
        begin = literal.start()
        while begin and (scanned[begin - 1].isalnum() or scanned[begin - 1] == "_"):
            begin -= 1
        run = WORD_RUN.match(scanned, begin)
        read_to = run.end() if run else literal.end()
        spans += _spans_between(scanned, pattern, begin, read_to)
    return spans


def _spans_between(text: str, pattern: TermPattern, start: int, end: int) -> list[tuple[int, int]]:
    """The spans of the words from `start` to `end` of `text` that the search matched."""
    return [
        found.span()
        for found in WORD_PATTERN.finditer(text, start, end)
        if pattern.match(found.group().lower())
    ]


def _snippet(text: str, spans: list[tuple[int, int]]) -> SafeString:
    """About SNIPPET_LENGTH characters around the first match, cut at word boundaries."""
    start = max(0, spans[0][0] - SNIPPET_LENGTH // 3)
    if start:
        start = text.find(" ", start) + 1 or start
    end = min(len(text), start + SNIPPET_LENGTH)
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > spans[0][1] else end
    pieces = ["…"] if start else []
    cursor = start
    # The standard library's escape, which Django's escape() and format_html() call
    # through layers that cost more than the escaping for a dozen pieces a hit.
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        pieces.append(html.escape(text[cursor:span_start]))
        pieces.append(f"<mark>{html.escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    pieces.append(html.escape(text[cursor:end]))
    if end < len(text):
        pieces.append("…")
    return mark_safe("".join(pieces))  # every piece is escaped
