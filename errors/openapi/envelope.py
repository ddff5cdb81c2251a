"""The error envelope of a spec: the schema its error responses share, and from it the
JSON pointers of the code, message, details, request id and status, the fields table and
an example body."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from errors.openapi.document import Spec, encode_token
from errors.openapi.operations import ErrorResponse

MAX_DEPTH = 4
# A top-level extension stating the envelope's pointers outright: {code_pointer: ..., ...}
ENVELOPE_EXTENSION = "x-error-envelope"
POINTER_NAMES = (
    "code_pointer", "message_pointer", "details_pointer", "request_id_pointer", "status_pointer",
)  # fmt: skip
MAX_BODIES_READ = 200  # example bodies read for fields the schema does not name

# Property names, normalised (lower case, no `_` or `-`), in order of preference.
CODE_NAMES = ("code", "errorcode", "errcode", "errorkey", "reason", "errortype", "name")
MESSAGE_NAMES = (
    "message", "msg", "errormessage", "detail", "errordescription", "description", "title",
)  # fmt: skip
DETAILS_NAMES = (
    "details", "detail", "invalidparameters", "invalidparams", "errors", "violations",
    "fields", "fielderrors", "context", "meta", "data",
)  # fmt: skip
REQUEST_ID_NAMES = (
    "requestid", "traceid", "correlationid", "xrequestid", "instance",
)  # fmt: skip
STATUS_NAMES = ("status", "statuscode", "httpstatus", "httpstatuscode", "httpcode")


def normalise(name: str) -> str:
    """`error_code`, `errorCode` and `Error-Code` -> `errorcode`."""
    return re.sub(r"[\s_\-]+", "", name).lower()


@dataclass
class Prop:
    """One property of the envelope: where it is and what the schema says of it."""

    pointer: str
    name: str  # dotted, for the fields table: error.code, errors[].code
    parent: str
    key: str
    schema: dict[str, Any]


@dataclass
class Envelope:
    """What the importer learnt of the error envelope."""

    code_pointer: str = ""
    message_pointer: str = ""
    details_pointer: str = ""
    request_id_pointer: str = ""
    status_pointer: str = ""
    problem: bool = False
    fields: list[dict[str, str]] = field(default_factory=list)
    example: str = ""

    def as_catalog(self) -> dict[str, Any]:
        """The catalog's `service.envelope`."""
        return {
            "example": self.example,
            "fields": self.fields,
            "code_pointer": self.code_pointer,
            "message_pointer": self.message_pointer,
            "details_pointer": self.details_pointer,
            "request_id_pointer": self.request_id_pointer,
            "status_pointer": self.status_pointer,
        }


def flatten(spec: Spec, node: Any, place: str, depth: int = 0) -> dict[str, Any]:
    """A schema with `$ref`s followed and `allOf` merged; `oneOf`/`anyOf` alternatives'
    properties joined (an error may take any of them)."""
    schema = spec.deref(node, place)
    if not isinstance(schema, dict) or depth > MAX_DEPTH * 3:
        return {}
    parts = [schema]
    for keyword in ("allOf", "oneOf", "anyOf"):
        for number, sub in enumerate(schema.get(keyword) or []):
            parts.append(flatten(spec, sub, f"{place}.{keyword}.{number}", depth + 1))
    if len(parts) == 1:
        return schema
    merged: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key == "properties" and isinstance(value, dict):
                for name, prop in value.items():
                    current = spec.deref(properties.get(name, {}), place)
                    extra = spec.deref(prop, place)
                    if isinstance(current, dict) and isinstance(extra, dict):
                        properties[name] = {**current, **extra}
            elif key not in ("allOf", "oneOf", "anyOf"):
                merged.setdefault(key, value)
    if properties:
        merged["properties"] = properties
    return merged


def properties(spec: Spec, node: Any, place: str) -> list[Prop]:
    """Every property of a schema down to MAX_DEPTH, arrays entered at their first item."""
    found: list[Prop] = []

    def walk(schema: dict[str, Any], pointer: str, name: str, depth: int) -> None:
        if depth >= MAX_DEPTH:
            return
        for key, sub in (schema.get("properties") or {}).items():
            sub = flatten(spec, sub, place)
            child = f"{pointer}/{encode_token(key)}"
            child_name = f"{name}.{key}" if name else str(key)
            found.append(Prop(child, child_name, pointer, normalise(str(key)), sub))
            walk(sub, child, child_name, depth + 1)
            items = sub.get("items")
            if sub.get("type") == "array" and items is not None:
                walk(flatten(spec, items, place), f"{child}/0", f"{child_name}[]", depth + 1)

    walk(flatten(spec, node, place), "", "", 0)
    return found


def example_properties(value: Any) -> list[Prop]:
    """The properties an example body has, for specs that give bodies but no schema."""
    found: list[Prop] = []

    def walk(node: Any, pointer: str, name: str, depth: int) -> None:
        if depth >= MAX_DEPTH or not isinstance(node, dict):
            return
        for key, sub in node.items():
            child = f"{pointer}/{encode_token(key)}"
            child_name = f"{name}.{key}" if name else str(key)
            found.append(Prop(child, child_name, pointer, normalise(str(key)), _typed(sub)))
            walk(sub, child, child_name, depth + 1)
            if isinstance(sub, list) and sub and isinstance(sub[0], dict):
                walk(sub[0], f"{child}/0", f"{child_name}[]", depth + 1)

    walk(value, "", "", 0)
    return found


def _typed(value: Any) -> dict[str, Any]:
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}
    return {"type": kinds.get(type(value), "object")}


def _is_status_like(prop: Prop) -> bool:
    schema = prop.schema
    text = str(schema.get("description", "")).lower()
    integer = schema.get("type") in ("integer", "number") or all(
        isinstance(v, int) for v in schema.get("enum") or ["x"]
    )
    return prop.key in STATUS_NAMES or (integer and "status" in text)


def _pick(props: list[Prop], names: tuple[str, ...], near: str = "", skip: tuple = ()) -> str:
    """The pointer of the best property named one of `names`: by name, then beside
    `near` (the code's object), then shallowest."""
    best: tuple[int, int, int] | None = None
    chosen = ""
    for prop in props:
        if prop.key not in names or prop.pointer in skip:
            continue
        rank = (names.index(prop.key), 0 if prop.parent == near else 1, prop.pointer.count("/"))
        if best is None or rank < best:
            best, chosen = rank, prop.pointer
    return chosen


def is_problem(props: list[Prop], media_types: set[str]) -> bool:
    """RFC 9457 problem details: by media type, or by the members title + status/type."""
    top = {prop.key for prop in props if prop.parent == ""}
    return any("problem" in media for media in media_types) or (
        "title" in top and ("type" in top or "status" in top) and "detail" in top
    )


def find_envelope(spec: Spec, responses: list[ErrorResponse]) -> Envelope:
    """The envelope most error responses share, and its pointers."""
    counts: Counter[str] = Counter()
    schemas: dict[str, tuple[Any, str]] = {}
    media_types: set[str] = set()
    bodies: list[Any] = []
    for response in responses:
        for body in response.bodies:
            media_types.add(body.media_type.lower())
            bodies += [example.value for example in body.examples]
            if body.schema is None:
                continue
            key = body.schema_key or json.dumps(body.schema, sort_keys=True, default=str)
            counts[key] += 1
            schemas.setdefault(key, (body.schema, body.schema_place))
    props: list[Prop] = []
    for key, _ in counts.most_common():
        props = properties(spec, *schemas[key])
        if _code_prop(props, is_problem(props, media_types)) is not None:
            break
    else:
        props = properties(spec, *schemas[counts.most_common(1)[0][0]]) if counts else []
    code = _code_prop(props, is_problem(props, media_types))
    for value in bodies[:MAX_BODIES_READ]:
        if isinstance(value, dict):
            known = {prop.pointer for prop in props}
            props += [p for p in example_properties(value) if p.pointer not in known]
    problem = is_problem(props, media_types)
    if code is None:  # no schema names it: the examples' bodies may
        code = _code_prop([p for p in props if p.schema.get("type") == "string"], problem)
    stated = spec.data.get(ENVELOPE_EXTENSION)
    if isinstance(stated, dict):  # the spec states its pointers (the portal's export does)
        envelope = Envelope(problem=problem)
        for name in POINTER_NAMES:
            value = stated.get(name)
            setattr(envelope, name, value if isinstance(value, str) else "")
        envelope.fields = [_field(prop) for prop in props if prop.pointer.count("/") <= 3][:40]
        example = next((value for value in bodies if isinstance(value, dict)), None)
        envelope.example = json.dumps(example, indent=2, ensure_ascii=False) if example else ""
        return envelope
    envelope = Envelope(problem=problem)
    envelope.code_pointer = code.pointer if code else ""
    near = code.parent if code else ""
    envelope.status_pointer = next(
        (p.pointer for p in sorted(props, key=_depth) if _is_status_like(p) and p is not code), ""
    )
    taken: tuple[str, ...] = (envelope.code_pointer, envelope.status_pointer)
    envelope.message_pointer = _pick(
        props, ("detail", *MESSAGE_NAMES) if problem else MESSAGE_NAMES, near, taken
    )
    taken += (envelope.message_pointer,)
    details = [
        p
        for p in props
        if p.pointer not in taken and not envelope.code_pointer.startswith(p.pointer + "/")
    ]
    envelope.details_pointer = _pick(details, DETAILS_NAMES, near, taken)
    envelope.request_id_pointer = _pick(props, REQUEST_ID_NAMES, near, taken)
    envelope.fields = [_field(prop) for prop in props if prop.pointer.count("/") <= 3][:40]
    example = next((value for value in bodies if isinstance(value, dict)), None)
    envelope.example = json.dumps(example, indent=2, ensure_ascii=False) if example else ""
    return envelope


def _depth(prop: Prop) -> int:
    return prop.pointer.count("/")


def _code_prop(props: list[Prop], problem: bool) -> Prop | None:
    names = ("code", "errorcode", "errcode", "type") if problem else CODE_NAMES
    candidates = [
        prop
        for prop in props
        if prop.key in names
        and not _is_status_like(prop)
        and prop.schema.get("type") not in ("object", "array", "boolean")
    ]
    if not problem:
        # `name` is a code only beside a message (`{"name": "NotFound", "message": ...}`)
        has_message = {p.parent for p in props if p.key in MESSAGE_NAMES}
        candidates = [p for p in candidates if p.key != "name" or p.parent in has_message]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (names.index(p.key), _depth(p)))


def _field(prop: Prop) -> dict[str, str]:
    schema = prop.schema
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " or ".join(str(k) for k in kind if k != "null")
    if "enum" in schema:
        kind = f"{kind or 'string'}, one of {len(schema['enum'])} values"
    description = " ".join(str(schema.get("description") or schema.get("title") or "").split())
    first = re.split(r"(?<=[.!?])\s", description, maxsplit=1)[0]
    return {"name": prop.name, "type": str(kind), "description": first[:300]}
