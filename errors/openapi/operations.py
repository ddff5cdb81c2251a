"""The error responses of a spec: every operation's 4xx, 5xx, range and error `default`
responses (and error responses that live only in `components/responses`), with their
JSON bodies' schemas and examples, `$ref`s followed."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from errors.openapi.document import Spec, place_of

JSON_MEDIA = re.compile(r"json|^\*/\*$", re.I)
STATUS_IN_NAME = re.compile(r"(?<!\d)([45]\d\d|[45]XX)(?!\d)", re.I)


@dataclass
class SpecExample:
    """One example body of an error response."""

    name: str
    value: Any
    place: str
    summary: str = ""
    description: str = ""
    from_schema: bool = False  # the schema's own example: it belongs to no one response

    @functools.cached_property
    def text(self) -> str:
        """The body as the catalog stores it: indented JSON (or the text itself)."""
        if isinstance(self.value, str):
            return self.value
        return json.dumps(self.value, indent=2, ensure_ascii=False)


@dataclass
class MediaBody:
    """One JSON media type of a response: its schema and examples."""

    media_type: str
    schema: Any
    schema_place: str
    schema_key: str
    examples: list[SpecExample] = field(default_factory=list)


@dataclass
class ErrorResponse:
    """A response documented for an error status (or `default`), on an operation or not."""

    place: str
    status_key: str
    status: int | None
    description: str
    method: str = ""
    path: str = ""
    bodies: list[MediaBody] = field(default_factory=list)
    extensions: dict[str, Any] = field(default_factory=dict)

    @property
    def operation(self) -> dict[str, str] | None:
        """`{"method": "POST", "path": "/v1/x"}`, or None for a component response."""
        return {"method": self.method, "path": self.path} if self.method else None


def status_of_key(key: str) -> int | None:
    """`"404"` -> 404; `"4XX"` -> 400 (the class); `"default"` -> None."""
    if key.isdigit():
        return int(key)
    if re.fullmatch(r"[1-5]XX", key, re.I):
        return int(key[0]) * 100
    return None


def is_error_key(key: str) -> bool:
    """4xx and 5xx statuses and ranges."""
    return bool(re.fullmatch(r"[45](\d\d|XX)", key, re.I))


def error_responses(spec: Spec) -> list[ErrorResponse]:
    """Every error response of the spec, in document order."""
    found: list[ErrorResponse] = []
    referenced: set[str] = set()
    for method, path, operation, place in spec.operations():
        responses = operation.get("responses") or {}
        if not isinstance(responses, dict):
            continue
        has_success = any(str(key).startswith(("1", "2", "3")) for key in responses)
        for key, response in responses.items():
            key = str(key)
            if not (is_error_key(key) or key == "default"):
                continue
            if isinstance(response, dict) and isinstance(response.get("$ref"), str):
                referenced.add(response["$ref"])
            response_place = place_of(place, "responses", key)
            read = _read_response(
                spec, response, response_place, key, status_of_key(key), method, path
            )
            # `default` is the error answer when the operation documents its success
            # apart, or when it says it is one.
            if key == "default" and not (has_success or "error" in read.description.lower()):
                continue
            found.append(read)
    components = (spec.data.get("components") or {}).get("responses") or {}
    for name, response in components.items() if isinstance(components, dict) else ():
        ref = "#/components/responses/" + str(name).replace("~", "~0").replace("/", "~1")
        match = STATUS_IN_NAME.search(str(name))
        if ref in referenced or (match is None and "error" not in str(name).lower()):
            continue
        key = match.group(1).upper() if match else "default"
        response_place = place_of("components", "responses", name)
        found.append(_read_response(spec, response, response_place, key, status_of_key(key)))
    return found


def _read_response(
    spec: Spec,
    node: Any,
    place: str,
    key: str,
    status: int | None,
    method: str = "",
    path: str = "",
) -> ErrorResponse:
    response, response_place = spec.resolve(node, place)
    if not isinstance(response, dict):
        response = {}
    result = ErrorResponse(
        place=place,
        status_key=key,
        status=status,
        description=str(response.get("description") or ""),
        method=method,
        path=path,
        extensions={k: v for k, v in response.items() if str(k).startswith("x-")},
    )
    content, content_place = spec.resolve(
        response.get("content") or {}, f"{response_place}.content"
    )
    if not isinstance(content, dict):
        return result
    for media_type, media in content.items():
        if not JSON_MEDIA.search(str(media_type)):
            continue
        media_place = place_of(content_place, media_type)
        media, media_place = spec.resolve(media, media_place)
        if not isinstance(media, dict):
            continue
        schema_node = media.get("schema")
        schema_key = ""
        if isinstance(schema_node, dict) and isinstance(schema_node.get("$ref"), str):
            schema_key = schema_node["$ref"]
        body = MediaBody(
            media_type=str(media_type),
            schema=schema_node,
            schema_place=place_of(media_place, "schema"),
            schema_key=schema_key,
            examples=_examples(spec, media, media_place, schema_node),
        )
        for k, v in media.items():
            if str(k).startswith("x-"):
                result.extensions.setdefault(k, v)
        result.bodies.append(body)
    return result


def _examples(spec: Spec, media: dict, place: str, schema_node: Any) -> list[SpecExample]:
    """Named `examples`, a single `example`, else the schema's own example(s)."""
    examples: list[SpecExample] = []
    named = media.get("examples")
    if isinstance(named, dict):
        for name, node in named.items():
            example_place = place_of(place, "examples", name)
            example, _ = spec.resolve(node, example_place)
            if not isinstance(example, dict) or "value" not in example:
                continue  # externalValue: outside the file
            if example.get("x-generated") is True:
                continue  # built by an export from the envelope, not documented
            examples.append(
                SpecExample(
                    name=str(name),
                    value=example["value"],
                    place=example_place,
                    summary=str(example.get("summary") or ""),
                    description=str(example.get("description") or ""),
                )
            )
    if "example" in media:
        examples.append(
            SpecExample(name="example", value=media["example"], place=f"{place}.example")
        )
    if examples or schema_node is None:
        return examples
    schema = spec.deref(schema_node, f"{place}.schema")
    if isinstance(schema, dict):
        if "example" in schema and isinstance(schema["example"], dict):
            examples.append(
                SpecExample(
                    name="example",
                    value=schema["example"],
                    place=f"{place}.schema.example",
                    from_schema=True,
                )
            )
        listed = schema.get("examples")
        if isinstance(listed, list):  # JSON Schema 2020-12 (OpenAPI 3.1): a list of values
            examples += [
                SpecExample(
                    name=f"example {n + 1}",
                    value=v,
                    place=f"{place}.schema.examples.{n}",
                    from_schema=True,
                )
                for n, v in enumerate(listed)
                if isinstance(v, dict)
            ]
    return examples
