"""Editors' `code_pattern`s, tested under a time limit: a pattern such as `^([A-Z]+_?)+$`
backtracks for minutes on a long code that does not match, and Python's `re` cannot be
stopped, so every test of a code against an editor's pattern goes through here."""

from __future__ import annotations

import re

import regex

# Long enough for any sane pattern on any code (microseconds), short enough that a
# backtracking one costs a request a blink rather than a worker.
PATTERN_TIME_LIMIT = 0.05


class PatternTooSlow(Exception):
    """The pattern did not finish within `PATTERN_TIME_LIMIT` on a code."""

    def __init__(self, pattern: str) -> None:
        super().__init__(
            f"the code pattern {pattern!r} takes too long to test (it backtracks: nested "
            "quantifiers such as (A+)+ do): simplify it, e.g. ^[A-Z][A-Z0-9_]*$."
        )


def pattern_error(pattern: str) -> str | None:
    """Why `pattern` cannot be a code pattern, or None when it can."""
    try:
        re.compile(pattern)
        regex.compile(pattern)
    except (re.error, regex.error) as exc:
        return f"{pattern!r} is not a valid regular expression: {exc}."
    try:
        # A long run of code-like characters that ends badly is the classic trigger.
        for probe in ("A" * 64 + "!", "a" * 64 + "!", "A_" * 32 + "!", "1" * 64 + "!"):
            code_matches(pattern, probe)
    except PatternTooSlow as exc:
        return str(exc)
    return None


def code_matches(pattern: str, code: str) -> bool:
    """Whether `code` matches all of `pattern`; `PatternTooSlow` past the time limit."""
    try:
        return regex.fullmatch(pattern, code, timeout=PATTERN_TIME_LIMIT) is not None
    except TimeoutError as exc:
        raise PatternTooSlow(pattern) from exc
