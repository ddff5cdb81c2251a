"""What arrives on the wire for a code: its documented examples, or, where it has none, an
illustrative body built from its service's envelope, labelled as such.

Also the words developers use for where things sit in a body: `error.code` for the JSON
pointer `/error/code`.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from errors.codes import reason_phrase
from errors.markdown import highlight_code
from errors.models import ErrorCode, Service

# Seed pages write envelopes with comments (`{ /* optional structured detail */ }`).
BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def pointer_path(pointer: str) -> str:
    """A JSON pointer as code reads it: `/error/code` -> `error.code`, `/items/0` ->
    `items[0]`."""
    path = ""
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if token.isdigit():
            path += f"[{token}]"
        elif re.fullmatch(r"[A-Za-z_$][\w$]*", token):
            path += f".{token}" if path else token
        else:
            path += f"[{json.dumps(token)}]"
    return path


def envelope_document(service: Service) -> Any:
    """The service's envelope example as JSON, or None when it is not JSON."""
    text = BLOCK_COMMENT.sub("", service.envelope_example).strip()
    if not text.startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _set(document: Any, pointer: str, value: Any) -> Any:
    """`document` with `value` at `pointer`, creating objects on the way."""
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    if not tokens:
        return value
    if not isinstance(document, dict):
        document = {}
    node = document
    for token in tokens[:-1]:
        child = node.get(token)
        if not isinstance(child, dict):
            child = node[token] = {}
        node = child
    node[tokens[-1]] = value
    return document


@dataclass(frozen=True)
class WireBody:
    """A body the page shows as what a client receives, with how it was obtained."""

    html: str
    illustrative: bool
    note: str


def illustrative_body(error: ErrorCode, status_title: str = "") -> WireBody | None:
    """A body for `error` built from the envelope: its code, status and first typical
    message put where the envelope says; None when the service documents no envelope.

    `status_title` is what the service calls the status, for envelopes that name it
    next to the number (`"error": "Bad Request", "status": 400`)."""
    service = error.service
    base = envelope_document(service)
    if base is None and not (service.code_pointer or service.message_pointer):
        return None
    body = copy.deepcopy(base) if base is not None else {}
    if service.code_pointer:
        body = _set(body, service.code_pointer, error.code)
    if service.message_pointer and error.messages:
        body = _set(body, service.message_pointer, str(error.messages[0]))
    if service.status_pointer and error.http_status:
        body = _set(body, service.status_pointer, error.http_status)
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            body["error"] = status_title or reason_phrase(error.http_status) or body["error"]
    text = json.dumps(body, indent=2, ensure_ascii=False)
    if error.http_status:
        status_line = f"HTTP/1.1 {error.http_status} {reason_phrase(error.http_status)}".strip()
        html = highlight_code(f"{status_line}\nContent-Type: application/json\n\n{text}", "http")
    else:
        html = highlight_code(text, "json")
    if service.code_pointer:
        note = "Built from the service's envelope and this code, not copied from its documentation."
    elif error.messages:
        note = (
            f"{service.name} sends no code: a client sees the message. Built from the "
            "service's envelope and this code's typical message."
        )
    else:
        note = (
            f"{service.name} sends no code: clients tell this error by its HTTP status. "
            "Built from the service's envelope."
        )
    return WireBody(html, True, note)
