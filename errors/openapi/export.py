"""A service's errors as an OpenAPI 3.1 document that the ordinary tools (Swagger UI,
Redoc, Backstage) render with every code: the envelope schema with the codes as an
`enum`, one component response per status with a named example per code, and the
`x-error-codes` extension listing each status's codes (docs/openapi.md)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from django.db.models import Prefetch

from errors.codes import reason_phrase
from errors.models import ErrorCode, Example, Service
from errors.openapi.document import decode_pointer, encode_token
from errors.openapi.envelope import ENVELOPE_EXTENSION, POINTER_NAMES

EXTENSION = "x-error-codes"
SCHEMA_NAME = "Error"


def status_key(status: int | None) -> str:
    """The responses key of a status: `"404"`, or `"default"` for codes without one."""
    return str(status) if status is not None else "default"


def response_name(status: int | None) -> str:
    """`Error404`, `ErrorDefault`: the component response of a status."""
    return f"Error{status}" if status is not None else "ErrorDefault"


def example_name(code: str, number: int) -> str:
    """A component example's name: the code, then `CODE.2`, ... for further examples."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", code)
    return name if number == 0 else f"{name}.{number + 1}"


def published_codes(service: Service) -> list[ErrorCode]:
    """The codes an export shows: published ones, in catalog order, with their examples."""
    return list(
        service.errors.published()
        .prefetch_related(Prefetch("examples", queryset=Example.objects.order_by("order", "pk")))
        .order_by("order", "pk")
    )


def code_listing(error: ErrorCode, site_url: str) -> dict[str, Any]:
    """One code as the `x-error-codes` extension lists it (with its summary, when it has
    one, so that importing the export keeps it)."""
    listing = {
        "code": error.code,
        "status": error.http_status,
        "title": error.title,
        "retry": error.retry,
        "html_url": site_url.rstrip("/") + reverse_code(error),
    }
    if error.summary:
        listing["summary"] = error.summary
    return listing


def reverse_code(error: ErrorCode) -> str:
    """The code page's path (error.service is the exported service: no query)."""
    from django.urls import reverse

    return reverse("errors:error", args=[error.service.slug, error.code])


def export_openapi(service: Service, *, site_url: str = "") -> dict[str, Any]:
    """The OpenAPI 3.1 document of `service`'s errors; `site_url` makes `html_url`s absolute."""
    errors = published_codes(service)
    for error in errors:
        error.service = service  # no query per code for html_url
    by_status: dict[int | None, list[ErrorCode]] = defaultdict(list)
    for error in errors:
        by_status[error.http_status].append(error)
    statuses = sorted(by_status, key=lambda s: (s is None, s or 0))
    examples, names = _examples(service, errors)
    responses = {
        response_name(status): _response(status, by_status[status], names, site_url)
        for status in statuses
    }
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": service.name,
            "version": service.updated_at.strftime("%Y-%m-%d") if service.updated_at else "1",
        },
        "paths": _paths(errors, names, site_url),
        "components": {
            "schemas": {SCHEMA_NAME: envelope_schema(service, errors)},
            "responses": responses,
            "examples": examples,
        },
        EXTENSION: {
            status_key(status): [code_listing(e, site_url) for e in by_status[status]]
            for status in statuses
        },
        ENVELOPE_EXTENSION: {name: getattr(service, name) for name in POINTER_NAMES},
    }
    if service.summary:
        document["info"]["summary"] = service.summary
    if service.description:  # none is made up: a re-import would take it for the service's
        document["info"]["description"] = service.description
    if service.base_url:
        document["servers"] = [{"url": service.base_url}]
    if service.contact:
        contact = service.contact
        document["info"]["contact"] = {"email": contact} if "@" in contact else {"url": contact}
    return document


def envelope_schema(service: Service, errors: list[ErrorCode]) -> dict[str, Any]:
    """The envelope as a JSON Schema, the code property an `enum` of every code."""
    described = {
        "/" + str(item.get("name", "")).replace("[]", "/0").replace(".", "/"): item
        for item in service.envelope_fields or []
        if isinstance(item, dict)
    }
    schema: dict[str, Any] = {"type": "object", "title": f"{service.name} error"}
    pointers = {
        "code": service.code_pointer,
        "message": service.message_pointer,
        "details": service.details_pointer,
        "request_id": service.request_id_pointer,
        "status": service.status_pointer,
    }
    for role, pointer in pointers.items():
        if not pointer:
            continue
        leaf = _leaf(role, service, errors)
        about = described.get(pointer)
        if about and about.get("description") and role != "code":
            leaf["description"] = str(about["description"])
        _place(schema, decode_pointer(pointer), leaf)
    return schema


def _leaf(role: str, service: Service, errors: list[ErrorCode]) -> dict[str, Any]:
    if role == "code":
        codes = [error.code for error in errors]
        lines = [
            f"* `{e.code}` - {e.http_status if e.http_status else 'any status'}: {e.title}"
            for e in errors
        ]
        return {
            "type": "string",
            "description": "The error code to branch on. One of:\n\n" + "\n".join(lines),
            "enum": codes,
            "x-enumDescriptions": {error.code: error.title for error in errors},
        }
    if role == "status":
        return {"type": "integer", "description": "The HTTP status, repeated in the body."}
    if role == "details":
        return {"description": "Structured details of the error."}
    text = {"message": "A human-readable message.", "request_id": "The request's id."}
    return {"type": "string", "description": text[role]}


def _place(schema: dict[str, Any], tokens: list[str], leaf: dict[str, Any]) -> None:
    """Put `leaf` at `tokens` inside `schema`, making objects and arrays on the way."""
    node = schema
    for number, token in enumerate(tokens):
        last = number == len(tokens) - 1
        if token.isdigit() and node.get("type") == "array":
            node = node.setdefault("items", {"type": "object"})
            if last:
                node.update(leaf)
            continue
        props = node.setdefault("properties", {})
        next_is_index = not last and tokens[number + 1].isdigit()
        if last:
            props[token] = {**props.get(token, {}), **leaf}
        else:
            default = {"type": "array"} if next_is_index else {"type": "object"}
            node = props.setdefault(token, default)


def _examples(
    service: Service, errors: list[ErrorCode]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Every code's JSON examples as component examples (a body built from the envelope
    for a code without one), and the names per code."""
    components: dict[str, Any] = {}
    names: dict[str, list[str]] = {}
    for error in errors:
        bodies = [
            (example, body)
            for example in error.examples.all()
            if (body := _json_body(example)) is not None
        ]
        names[error.code] = []
        if not bodies:
            name = example_name(error.code, 0)
            components[name] = {
                "summary": error.title,
                "description": error.summary or "A body built from the envelope.",
                "value": built_body(service, error),
                "x-generated": True,
            }
            names[error.code].append(name)
            continue
        for number, (example, body) in enumerate(bodies):
            name = example_name(error.code, number)
            item: dict[str, Any] = {"summary": example.title or error.title, "value": body}
            if example.description:
                item["description"] = example.description
            components[name] = item
            names[error.code].append(name)
    return components, names


def _json_body(example: Example) -> Any:
    """A JSON example's body; other languages (curl, http dumps) are not response bodies."""
    if example.language != "json":
        return None
    try:
        return json.loads(example.body)
    except ValueError:
        return None


def built_body(service: Service, error: ErrorCode) -> Any:
    """An example body for `error` from the envelope: its code, status and message."""
    body: dict[str, Any] = {}
    values = [
        (service.code_pointer, error.code),
        (service.message_pointer, (error.messages or [error.title])[0]),
        (service.status_pointer, error.http_status),
    ]
    for pointer, value in values:
        if pointer and value is not None:
            _set(body, decode_pointer(pointer), value)
    return body


def _set(body: dict[str, Any], tokens: list[str], value: Any) -> None:
    node: Any = body
    for number, token in enumerate(tokens):
        last = number == len(tokens) - 1
        nxt: Any = value if last else ([] if tokens[number + 1].isdigit() else {})
        if isinstance(node, list):
            if not node:
                node.append(nxt)
            node = node[0] if not last else node
            if last:
                node[0] = value
            continue
        if last:
            node[token] = value
        else:
            node = node.setdefault(token, nxt)


def _response(
    status: int | None, errors: list[ErrorCode], names: dict[str, list[str]], site_url: str
) -> dict[str, Any]:
    phrase = reason_phrase(status) if status else "Error"
    listed = "\n".join(f"* `{error.code}`: {error.title}" for error in errors)
    return {
        "description": f"{phrase}. The codes of this status:\n\n{listed}",
        "content": {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{SCHEMA_NAME}"},
                "examples": {
                    name: {"$ref": f"#/components/examples/{encode_token(name)}"}
                    for error in errors
                    for name in names[error.code]
                },
            }
        },
        EXTENSION: [code_listing(error, site_url) for error in errors],
    }


def _paths(errors: list[ErrorCode], names: dict[str, list[str]], site_url: str) -> dict[str, Any]:
    """The operations the codes are documented on, each with its own codes per status."""
    per_operation: dict[tuple[str, str], dict[int | None, list[ErrorCode]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for error in errors:
        for operation in error.operations or []:
            key = (str(operation["path"]), str(operation["method"]).lower())
            per_operation[key][error.http_status].append(error)
    paths: dict[str, Any] = {}
    for (path, method), statuses in sorted(per_operation.items()):
        responses = {
            status_key(status): _response(status, codes, names, site_url)
            for status, codes in sorted(statuses.items(), key=lambda s: (s[0] is None, s[0] or 0))
        }
        item: dict[str, Any] = {"responses": responses}
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{([^}]+)}", path)
        ]
        if parameters:
            item["parameters"] = parameters
        paths.setdefault(path, {})[method] = item
    return paths
