"""The OpenAPI schema's extras: the catalog file format as a request body schema.

`PUT services/<slug>/catalog/` takes a catalog file, whose JSON Schema lives in
errors/catalog/schema.json (draft 2020-12). OpenAPI 3.0 speaks an older dialect, so the
schema is translated once (type lists, `$defs` references) and added as components.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

from errors.api import serializers
from errors.api.params import SERVICE_SLUG
from errors.api.permissions import CanPublishCatalog, CatalogReadPermission
from errors.api.problems import PROBLEM_CONTENT_TYPE
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


def add_catalog_components(
    result: dict[str, Any], generator: SchemaGenerator, request: Request | None, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: register the catalog file components."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(catalog_components())
    return result


# Operations whose request schema is given as raw media types (drf-spectacular then leaves
# the body optional) but which need a body: it is refused with a problem when absent.
BODY_REQUIRED = frozenset({"identify"})


def require_request_bodies(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: mark BODY_REQUIRED's request bodies required."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and operation.get("operationId") in BODY_REQUIRED:
                operation.get("requestBody", {})["required"] = True
    return result


def problems(*codes: int) -> dict:
    """The problem responses an operation documents, by status."""
    responses = {(status, PROBLEM_CONTENT_TYPE): serializers.ProblemSerializer for status in codes}
    return responses


COMMON_PROBLEMS = (401, 403, 406, 429, 500)


TEXT = "^[^\\x00]*$"  # no NUL characters: they cannot be stored or searched


WORD = "^[^\\x00]*[^\\x00\\s][^\\x00]*$"  # ... and at least one visible character


SERVICE_PARAM = OpenApiParameter(
    "service",
    {"type": "string", "maxLength": 60, "pattern": f"^{SERVICE_SLUG.pattern}$"},
    description="Only this service (its slug).",
    required=False,
)


STATUS_PARAM = OpenApiParameter(
    "status",
    {"type": "integer", "minimum": 100, "maximum": 599},
    description="Only entries with this HTTP status.",
    required=False,
)


class ApiSchema(AutoSchema):
    """Documents credentials as optional where the permission lets anonymous callers in."""

    def get_auth(self) -> list[dict]:
        auths = super().get_auth()
        permission = self.view.get_permissions()[0]
        anonymous_ok = isinstance(permission, CatalogReadPermission) or (
            isinstance(permission, CanPublishCatalog) and self.method in ("GET", "HEAD")
        )
        if anonymous_ok and not getattr(settings, "PORTAL_REQUIRE_LOGIN", False):
            auths.append({})
        return auths


def public_reads_without_lock(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """For the interactive reference (`?for=docs`), operations anyone may call carry no
    security, so Swagger UI shows no lock on them; publishing keeps its token. The schema
    tools read keeps the optional credentials (`{}` among the requirements). (issue 14)"""
    request = kwargs.get("request")
    if request is None or request.GET.get("for") != "docs":
        return result
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and {} in operation.get("security", []):
                del operation["security"]
    return result
