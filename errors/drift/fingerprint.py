"""One kind of error response: status, code field, message skeleton and body shape.

A new error seen a million times, each time with other ids in its message, is one
fingerprint. The fingerprint is worked out from the skeleton body (errors.drift.redact),
so no raw value takes part in it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from errors.bodies import COMMON_CODE_POINTERS, body_shape, resolve_pointer
from errors.drift import redact
from errors.matchers import ServiceMatcher

# Where bodies of services outside the catalog usually keep their message.
COMMON_MESSAGE_POINTERS = (
    "/message",
    "/error/message",
    "/detail",
    "/error_description",
    "/errors/0/message",
    "/errors/0/detail",
    "/title",
    "/error",
)
MAX_MESSAGE = 500


@dataclass(frozen=True)
class Fingerprint:
    """What the drift keeps of one kind of response."""

    fingerprint: str
    status: int
    code: str
    message: str
    shape: str
    sample: Any


def code_pointers(matcher: ServiceMatcher | None) -> tuple[str, ...]:
    """The pointers a code may be at: the service's own, then the common ones."""
    own = tuple(pointer for pointer, _ in matcher.code_pointers) if matcher else ()
    return own + tuple(p for p in COMMON_CODE_POINTERS if p not in own)


def message_pointers(matcher: ServiceMatcher | None) -> tuple[str, ...]:
    """The pointers a message may be at: the service's own, then the common ones."""
    own = tuple(pointer for pointer in matcher.message_pointers if pointer) if matcher else ()
    return own + tuple(p for p in COMMON_MESSAGE_POINTERS if p not in own)


def _first(body: Any, pointers: tuple[str, ...], *, code: bool) -> str:
    for pointer in pointers:
        value = resolve_pointer(body, pointer)
        if isinstance(value, int) and not isinstance(value, bool) and code:
            continue  # a number at /code is a status more often than a code
        if isinstance(value, str) and value and (not code or redact.is_code_like(value)):
            return value
    return ""


def fingerprint_of(
    skeleton: Any, status: int, service: str, matcher: ServiceMatcher | None
) -> Fingerprint:
    """The fingerprint of a skeleton body seen with `status` from `service` ('' when
    unknown), reading the code and message where `matcher`'s service keeps them."""
    if isinstance(skeleton, str):
        code, message, shape = "", skeleton[:MAX_MESSAGE], "text" if skeleton else ""
    elif isinstance(skeleton, dict):
        code = _first(skeleton, code_pointers(matcher), code=True)
        message = _first(skeleton, message_pointers(matcher), code=False)[:MAX_MESSAGE]
        if message == code:
            message = ""
        shape = ",".join(sorted(body_shape(skeleton)))
    else:
        code, message = "", ""
        shape = "list" if isinstance(skeleton, list) else type(skeleton).__name__.lower()
    digest = hashlib.sha256(
        "\x1f".join((service, str(status), code, message, shape)).encode()
    ).hexdigest()[:32]
    return Fingerprint(
        fingerprint=digest,
        status=status,
        code=code,
        message=message,
        shape=shape,
        sample=redact.sample(skeleton),
    )
