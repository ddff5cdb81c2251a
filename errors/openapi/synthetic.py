"""A large generated OpenAPI spec for the import benchmark: every error style at once
(a code enum with a status table, named examples per operation, `$ref`s to shared
responses), grown to a given size."""

from __future__ import annotations

from typing import Any

import yaml

STATUSES = (400, 401, 403, 404, 409, 422, 429, 500)


def synthetic_spec(size: int = 2_000_000, codes: int = 1000) -> str:
    """A YAML OpenAPI 3.0 spec of at least `size` bytes documenting `codes` codes."""
    names = [f"ERR_{number:04d}" for number in range(codes)]
    status_of = {name: STATUSES[number % len(STATUSES)] for number, name in enumerate(names)}
    table = "\n".join(
        f"* `{name}` - {status_of[name]}: Error number {name[4:]} happened." for name in names
    )
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "Synthetic Shipping API", "version": "1.0"},
        "paths": {},
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string", "enum": names, "description": table},
                                "message": {"type": "string"},
                                "request_id": {"type": "string"},
                            },
                        }
                    },
                }
            },
            "responses": {
                "Unauthorized": {
                    "description": "Unauthorized",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
        },
    }
    text = ""
    number = 0
    while len(text) < size:
        for _ in range(50):
            document["paths"][f"/v1/resource{number}/{{id}}"] = _path_item(number, names, status_of)
            number += 1
        text = yaml.safe_dump(document, sort_keys=False, width=10_000)
    return text


def _path_item(number: int, names: list[str], status_of: dict[str, int]) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "OK"},
        "401": {"$ref": "#/components/responses/Unauthorized"},
    }
    for offset in range(3):
        code = names[(number * 3 + offset) % len(names)]
        status = str(status_of[code])
        response = responses.setdefault(
            status,
            {
                "description": f"Error {status}",
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"},
                        "examples": {},
                    }
                },
            },
        )
        if "content" in response:
            response["content"]["application/json"]["examples"][code] = {
                "value": {
                    "error": {
                        "code": code,
                        "message": f"Resource {number} failed with {code} (attempt {offset})",
                        "request_id": f"req_{number:06d}_{offset}",
                    }
                }
            }
    return {
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "get": {"operationId": f"get{number}", "responses": responses},
    }
