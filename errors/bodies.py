"""Error bodies as catalogs and responses hold them: values at RFC 6901 JSON pointers,
example bodies written as whole `HTTP/1.1 404 Not Found` answers, and a body's shape
(the key paths identify compares)."""

from __future__ import annotations

import json
import re
from typing import Any

from errors.render_cache import prerenderable

# Where bodies usually keep their code, whoever sends them: drift reads a code there when
# the service's own pointers hold none (or the service is not in the catalog), and
# identify when the caller names a service whose own pointers hold none.
COMMON_CODE_POINTERS = (
    "/code",
    "/error/code",
    "/error_code",
    "/errorCode",
    "/error/type",
    "/type",
    "/errors/0/code",
)


def split_http_example(text: str) -> tuple[int | None, str]:
    """Split an `HTTP/1.1 404 Not Found` example into its status and its body."""
    match = re.match(r"\s*HTTP/[\d.]+\s+(\d{3})", text)
    status = int(match.group(1)) if match else None
    parts = re.split(r"\r?\n[ \t]*\r?\n", text.strip(), maxsplit=1)
    return status, parts[1].strip() if len(parts) == 2 else ""


def _is_index(token: str) -> bool:
    # ASCII only: `²` is a digit to str.isdigit but not to int(). Long tokens: no list is
    # that long, and int() refuses 4,300 digits.
    return token.isascii() and token.isdigit() and len(token) < 10


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at an RFC 6901 pointer, or None where the document has nothing there."""
    if not pointer:
        return None
    node = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and _is_index(token) and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def body_shape(body: Any) -> frozenset[str]:
    """The key paths of a JSON object (two levels deep): what its shape is."""
    if not isinstance(body, dict):
        return frozenset()
    keys = set()
    for key, value in body.items():
        keys.add(str(key))
        if isinstance(value, dict):
            keys.update(f"{key}/{inner}" for inner in value)
    return frozenset(keys)


@prerenderable
def example_shape(language: str, text: str) -> list[str]:
    """The shape of an example body written as JSON or as a whole HTTP answer, sorted;
    empty when it is not a JSON object."""
    if language not in ("json", "http"):
        return []
    body = (split_http_example(text)[1] if language == "http" else text).strip()
    if body[:1] != "{":
        return []
    try:
        return sorted(body_shape(json.loads(body)))
    except (ValueError, RecursionError):
        return []
