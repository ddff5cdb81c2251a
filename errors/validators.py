"""What the catalog's fields accept: slugs, retry delays, JSON pointers, regular
expressions, codes, envelope alternatives and search synonyms, each with an error that
says what to fix."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from errors.code_patterns import pattern_error

SLUG_VALIDATOR = RegexValidator(
    r"^[a-z0-9][a-z0-9-]*$",
    "Use lowercase letters, digits and hyphens, starting with a letter or digit.",
)

# Where a retry's delay comes from: a response header, or a field of the body by JSON pointer.
RETRY_DELAY_PATTERN = r"^(header:[A-Za-z0-9_-]+|body:(/[^/]*)+)$"
RETRY_DELAY_VALIDATOR = RegexValidator(
    RETRY_DELAY_PATTERN,
    'Write "header:Retry-After" for a response header or "body:/details/retry_after" '
    "for a field of the body (a JSON pointer).",
)


def describe_retry_delay(value: str) -> tuple[str, str]:
    """A delay source as (kind, name): ("header", "Retry-After") or ("body",
    "details.retry_after")."""
    kind, _, rest = value.partition(":")
    if kind == "body":
        tokens = [token.replace("~1", "/").replace("~0", "~") for token in rest.split("/")[1:]]
        return "body", ".".join(tokens)
    return kind, rest


def validate_json_pointer(value: str) -> None:
    """An RFC 6901 JSON pointer: empty, or `/` followed by reference tokens."""
    if value and (not value.startswith("/") or re.search(r"~(?![01])", value)):
        raise ValidationError(
            f"{value!r} is not a JSON pointer: write it as /field or /field/subfield "
            "(escape ~ as ~0 and / inside a name as ~1)."
        )


def validate_regex(value: str) -> None:
    """A pattern that compiles and does not backtrack on long codes."""
    problem = pattern_error(value) if value else None
    if problem:
        raise ValidationError(problem[0].upper() + problem[1:])


def validate_code(value: str) -> None:
    """A code that can be the last part of its page's address: no `/`, not `.` or `..`."""
    if "/" in value or value in (".", ".."):
        raise ValidationError(
            f"{value!r} cannot be a code: each code has a page at /services/<service>/errors/"
            "<code>/, which a / (or a code of . or ..) breaks. For grpc/UNAVAILABLE write "
            "UNAVAILABLE and add grpc/UNAVAILABLE to the aliases."
        )


ENVELOPE_POINTER_NAMES = (
    "code_pointer",
    "message_pointer",
    "details_pointer",
    "request_id_pointer",
    "status_pointer",
)


def validate_envelope_alternatives(value: Any) -> None:
    """A list of envelopes, each an object of JSON pointers (issue 15)."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValidationError(
            'Write a list of objects, e.g. [{"code_pointer": "/code", "message_pointer": '
            '"/detail"}].'
        )
    for item in value:
        unknown = sorted(set(item) - set(ENVELOPE_POINTER_NAMES))
        if unknown or not item:
            raise ValidationError(
                f"An alternative envelope takes only {', '.join(ENVELOPE_POINTER_NAMES)}"
                + (f", not {', '.join(unknown)}." if unknown else ": give at least one.")
            )
        for pointer in item.values():
            validate_json_pointer(str(pointer))


def validate_search_synonyms(value: Any) -> None:
    """Groups of two or more words, letters and digits only (issue 15)."""
    if not isinstance(value, list) or not all(
        isinstance(group, list) and len(group) >= 2 for group in value
    ):
        raise ValidationError('Write a list of word groups, e.g. [["analysis", "scan"]].')
    for group in value:
        for word in group:
            if not isinstance(word, str) or not re.fullmatch(r"[^\W_]{1,40}", word):
                raise ValidationError(
                    f"{word!r} is not one word: use letters and digits only (at most 40)."
                )
