"""The OpenAPI schema's extras: the catalog file format as a request body schema.

`PUT services/<slug>/catalog/` takes a catalog file, whose JSON Schema lives in
errors/catalog/schema.json (draft 2020-12). OpenAPI 3.0 speaks an older dialect, so the
schema is translated once (type lists, `$defs` references) and added as components.
"""

from __future__ import annotations

from typing import Any

from errors.catalog.validation import catalog_schema

PREFIX = "CatalogFile"
CATALOG_FILE_REF = {"$ref": f"#/components/schemas/{PREFIX}"}


def _component_name(definition: str) -> str:
    return PREFIX + definition.title().replace("_", "")


def to_openapi(node: Any) -> Any:
    """One JSON Schema node in OpenAPI 3.0's dialect."""
    if isinstance(node, list):
        return [to_openapi(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {
        key: to_openapi(value)
        for key, value in node.items()
        if key not in ("$schema", "$id", "$defs")
    }
    ref = result.get("$ref", "")
    if ref.startswith("#/$defs/"):
        result["$ref"] = "#/components/schemas/" + _component_name(ref.removeprefix("#/$defs/"))
    kinds = result.get("type")
    if isinstance(kinds, list):
        kinds = [kind for kind in kinds if kind != "null"]
        if len(kinds) < len(result["type"]):
            result["nullable"] = True
        if len(kinds) == 1:
            result["type"] = kinds[0]
        else:
            # A value of one of several types: each alternative keeps the keywords.
            del result["type"]
            result = {"oneOf": [{**result, "type": kind} for kind in kinds]}
    return result


def catalog_components() -> dict[str, Any]:
    """The catalog file schema and its definitions, as OpenAPI components."""
    schema = catalog_schema()
    components = {
        _component_name(name): to_openapi(definition)
        for name, definition in schema.get("$defs", {}).items()
    }
    components[PREFIX] = to_openapi(schema)
    return components


def add_catalog_components(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: register the catalog file components."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(catalog_components())
    return result
