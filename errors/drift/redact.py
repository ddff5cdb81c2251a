"""Taking the values out of what services send, before anything is kept.

Error bodies carry e-mail addresses, tokens, ids and customer data. What the drift keeps
of a body is its skeleton: every string reduced to `errors.identify.message_skeleton`
after e-mails, URLs and key-like tokens are replaced by placeholders, every number by
`{n}`. Only the value of a code field is kept as it is, and only when it looks like a
code. Paths keep their fixed segments; ids, numbers and anything secret-looking become
`{id}`.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urlsplit

from errors.identify import message_skeleton

EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+|\bwww\.\S+", re.I)
JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+(?:\.[\w-]*)?")
CREDENTIAL = re.compile(
    r"\b(bearer|basic)\s+\S+|\b(token|api[_-]?key|key|secret|password|passwd)\s*[:=]\s*\S+", re.I
)
UUID = re.compile(r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b", re.I)
# Long runs of letters and digits together: API keys, session ids, hashes.
KEY_LIKE = re.compile(r"(?<![\w{])(?=[\w-]*\d)(?=[\w-]*[a-z])[\w-]{16,}", re.I)
# All of the above in one pass (the order of the alternatives is their priority).
SECRET = re.compile(
    "|".join(
        f"(?P<{name}>{pattern.pattern})"
        for name, pattern in (
            ("email", EMAIL),
            ("url", URL),
            ("jwt", JWT),
            ("credential", CREDENTIAL),
            ("uuid", UUID),
            ("key", KEY_LIKE),
        )
    ),
    re.I,
)
PLACEHOLDER = {
    "email": "{email}",
    "url": "{url}",
    "jwt": "{token}",
    "uuid": "{id}",
    "key": "{token}",
}
# Every secret above has one of these; text without any is only skeletonised.
WORD = re.compile(r"[a-z_-]+", re.I)
SECRET_HINT = re.compile(r"[\d@:=/]|eyJ|bearer|basic", re.I)
CODE_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9_.:\-]{0,99}")
NUMBER = re.compile(r"\d")
METHOD = re.compile(r"[A-Z]{3,10}")
# A path segment kept as it is: a word (`projects`, `api-keys`) or a version (`v1`).
FIXED_SEGMENT = re.compile(r"[A-Za-z][A-Za-z_\-.]{0,39}|v\d{1,3}(?:\.\d{1,3})?|\{[a-z]+\}")

MAX_STRING = 2000  # characters of one string skeletonised; longer texts are cut
MAX_DEPTH = 6
MAX_KEYS = 50
MAX_ITEMS = 3
MAX_PATH = 300


EMBEDDED_NUMBER = re.compile(r"\d{1,30}(?:[.,]\d{1,30}){0,8}")


@functools.lru_cache(maxsize=65536)
def text_skeleton(text: str) -> str:
    """A string with every value replaced: e-mails, URLs, tokens, ids and numbers become
    placeholders, then the rest is identify's message skeleton."""
    text = text[:MAX_STRING]
    if SECRET_HINT.search(text):
        text = SECRET.sub(_placeholder, text)
    # identify's skeleton keeps numbers inside longer tokens (`nginx/1.25.3`, `/users/42`)
    # as part of a name; nothing numeric is kept here.
    return EMBEDDED_NUMBER.sub("{n}", message_skeleton(text))


def _placeholder(match: re.Match[str]) -> str:
    if match.group("credential"):
        return f"{WORD.match(match.group()).group()} {{token}}"  # type: ignore[union-attr]
    for kind, placeholder in PLACEHOLDER.items():
        if match.group(kind):
            return placeholder
    return "{token}"


def is_code_like(value: str) -> bool:
    """A short identifier (`RATE_LIMITED`, `E1001`, `invalid_request_error`), not a
    token, e-mail or id."""
    return (
        bool(CODE_LIKE.fullmatch(value))
        and not EMAIL.search(value)
        and not UUID.search(value)
        and not KEY_LIKE.search(value)
    )


def redact_key(key: str) -> str:
    """A dictionary key as kept: secret-looking keys (an e-mail, an id as key) become
    `{key}`."""
    if len(key) > 64 or EMAIL.search(key) or UUID.search(key) or KEY_LIKE.search(key):
        return "{key}"
    if NUMBER.search(key) and not CODE_LIKE.fullmatch(key):
        return "{key}"
    return key


def skeleton_body(value: Any, keep: frozenset[str], pointer: str = "", depth: int = 0) -> Any:
    """A JSON value with its strings skeletonised, except code-like strings at the
    pointers in `keep` (the code fields), and long lists and objects cut.

    Numbers stay: identify reads an HTTP status from a body's status field. This is the
    form identify is asked about and the cache key of its answer; `sample` is what is
    stored.
    """
    if isinstance(value, str):
        if pointer in keep and is_code_like(value):
            return value
        return text_skeleton(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if 100 <= value <= 599 else 0
    if isinstance(value, float):
        return 0
    if depth >= MAX_DEPTH:
        return "{...}"
    if isinstance(value, dict):
        kept = {}
        for key in list(value)[:MAX_KEYS]:
            name = redact_key(str(key))
            kept[name] = skeleton_body(value[key], keep, f"{pointer}/{name}", depth + 1)
        return kept
    if isinstance(value, list):
        items = [
            skeleton_body(item, keep, f"{pointer}/{index}", depth + 1)
            for index, item in enumerate(value[:MAX_ITEMS])
        ]
        return [*items, "{...}"] if len(value) > MAX_ITEMS else items
    return text_skeleton(str(value))


def sample(value: Any) -> Any:
    """The body as stored: a skeleton body (see skeleton_body) with every number too
    replaced by `{n}`."""
    if isinstance(value, dict):
        return {key: sample(item) for key, item in value.items()}
    if isinstance(value, list):
        return [sample(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return "{n}"
    return value


def path_template(path: str) -> str:
    """`/v1/projects/42?token=x` -> `/v1/projects/{id}`: the query is dropped and every
    segment that is not a plain word becomes `{id}`."""
    if "://" in path[:12]:
        path = urlsplit(path).path
    path = path.split("?", 1)[0].split("#", 1)[0]
    segments = [
        segment if not segment or FIXED_SEGMENT.fullmatch(segment) else "{id}"
        for segment in path.split("/")
    ]
    return "/".join(segments)[:MAX_PATH]
