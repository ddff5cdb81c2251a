"""A raw error response as identify reads it: parsed (JSON text, plain text, an HTTP
dump's body), and what every service asks of it (the value at a pointer, its status,
message, envelope fit, code keys and message skeletons) worked out once."""

from __future__ import annotations

import json
from typing import Any

from errors.bodies import body_shape, resolve_pointer
from errors.codes import code_key
from errors.message_values import loose_tokens, message_skeleton


class SeenBody:
    """A body being identified, with what every service asks of it worked out once.

    A hundred services mostly share a few envelopes: the value at each pointer, the status
    and message found there, the envelope fit, the code key of a value and the skeleton
    of a message are the same for all of them, and computing them per service was most of
    a call's cost.
    """

    def __init__(self, value: Any) -> None:
        self.value = value
        self.shape = body_shape(value)
        self._at: dict[str, Any] = {}
        self._fits: dict[tuple[str, ...], float] = {}
        self._envelope_fits: dict[tuple[tuple[str, ...], ...], float] = {}
        self._statuses: dict[tuple[str, ...], int | None] = {}
        self._messages: dict[tuple[str, ...], str] = {}
        self._keys: dict[str, str] = {}
        self._skeletons: dict[str, str] = {}
        self._loose: dict[str, tuple[str, ...]] = {}

    def at(self, pointer: str) -> Any:
        """The value at `pointer`, or None (also when the body is not an object)."""
        if pointer not in self._at:
            is_object = isinstance(self.value, dict)
            self._at[pointer] = resolve_pointer(self.value, pointer) if is_object else None
        return self._at[pointer]

    def fit(self, pointers: tuple[str, ...]) -> float:
        """The share of `pointers` that the body has a value at."""
        if pointers not in self._fits:
            found = sum(self.at(pointer) is not None for pointer in pointers)
            self._fits[pointers] = found / len(pointers) if pointers else 0.0
        return self._fits[pointers]

    def envelope_fit(self, envelopes: tuple[tuple[str, ...], ...]) -> float:
        """The share of the best fitting envelope's fields that the body has (0 when it
        is not an object)."""
        if envelopes not in self._envelope_fits:
            best = max((self.fit(pointers) for pointers in envelopes), default=0.0)
            self._envelope_fits[envelopes] = best
        return self._envelope_fits[envelopes]

    def status(self, pointers: tuple[str, ...]) -> int | None:
        """The HTTP status at the first of `pointers` holding one, as a number or digits."""
        if pointers not in self._statuses:
            found = None
            for pointer in pointers:
                found = _status(self.at(pointer))
                if found is not None:
                    break
            self._statuses[pointers] = found
        return self._statuses[pointers]

    def message(self, pointers: tuple[str, ...]) -> str:
        """The text at the first of `pointers` holding text; a text body is its own."""
        if isinstance(self.value, str):
            return self.value
        if pointers not in self._messages:
            texts = (self.at(pointer) for pointer in pointers)
            self._messages[pointers] = next((text for text in texts if isinstance(text, str)), "")
        return self._messages[pointers]

    def code_key(self, value: str) -> str:
        """code_key(value), once per value."""
        if value not in self._keys:
            self._keys[value] = code_key(value)
        return self._keys[value]

    def skeleton(self, message: str) -> str:
        """message_skeleton(message), once per message."""
        if message not in self._skeletons:
            self._skeletons[message] = message_skeleton(message)
        return self._skeletons[message]

    def loose(self, message: str) -> tuple[str, ...]:
        """loose_tokens(message), once per message."""
        if message not in self._loose:
            self._loose[message] = loose_tokens(message)
        return self._loose[message]


class PlainText(str):
    """A body known not to be JSON (its Content-Type said so): never parsed."""


def parse_body(body: Any) -> Any:
    """A body as identify reads it: JSON text is parsed, other text stays text."""
    if isinstance(body, PlainText):
        return str(body)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        text = body.strip()
        if text[:1] in ("{", "["):
            try:
                return json.loads(text)
            except (ValueError, RecursionError):  # not JSON, or nested past Python's limit
                return body
    return body


def _status(value: Any) -> int | None:
    """`value` as an HTTP status, if it is one (a number, or its digits)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    return None
