"""The OpenAPI endpoint of a service (issue 17): GET exports its errors as an OpenAPI 3.1
document (`?merge=1` with a spec in the body merges them into that spec instead); POST
imports a spec's errors through the catalog import (`?dry_run=1` for the diff only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from errors.api.exceptions import Problem
from errors.api.params import FLAG_VALUES, dry_run_param, flag_param, service_or_404
from errors.api.parsers import (
    CATALOG_TEXT_PARSERS,
)
from errors.api.permissions import CanPublishCatalog
from errors.api.renderers import ApiJsonRenderer, YamlRenderer
from errors.api.schema import COMMON_PROBLEMS, problems
from errors.api.views import CachedReadView, settle_publishers
from errors.catalog.importer import ImportBusy
from errors.openapi.document import parse_spec
from errors.openapi.export import export_openapi
from errors.openapi.importer import import_openapi
from errors.openapi.publish import dump_spec, merge_into_spec

SPEC_MAX_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
SPEC_BODY = {"type": "object", "description": "An OpenAPI 3.0 or 3.1 document."}


class OpenApiView(CachedReadView):
    """A GET export is a catalog read like any other (its ETag, 304, and the answer
    replayed while the catalog holds): building a 1,000-code service's document took
    160-240 ms each time it was asked. A merge answers the spec it was sent, so it is
    neither tagged nor kept."""

    query_parameters = frozenset({"format", "dry_run", "merge"})
    permission_classes = [CanPublishCatalog]
    parser_classes = CATALOG_TEXT_PARSERS
    renderer_classes = [ApiJsonRenderer, YamlRenderer]

    def reads_catalog_only(self, request: Request) -> bool:
        return not flag_param(request, "merge")

    @extend_schema(
        operation_id="openapi_export",
        summary="A service's errors as an OpenAPI 3.1 document, or merged into a spec",
        description="With `merge=1` and an OpenAPI spec in the body, answers that spec "
        "with the service's codes documented in its error responses.",
        parameters=[
            OpenApiParameter("format", str, enum=["json", "yaml"], required=False),
            OpenApiParameter("merge", str, enum=FLAG_VALUES, required=False),
        ],
        responses={
            (200, "application/json"): SPEC_BODY,
            (200, "application/yaml"): SPEC_BODY,
            **problems(400, 404, 413, 422, *COMMON_PROBLEMS),
        },
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        service = service_or_404(slug)
        site_url = request.build_absolute_uri("/").rstrip("/")
        merge = flag_param(request, "merge")
        if merge:
            text = self._spec_text(request)
            document = merge_into_spec(parse_spec(text, "body"), service, site_url=site_url)
            default = "json" if text.lstrip().startswith("{") else "yaml"
        else:
            document = export_openapi(service, site_url=site_url)
            default = "json"
        fmt = request.query_params.get("format", default).strip().lower()
        if fmt not in ("json", "yaml"):
            raise Problem("invalid_parameter", f"format must be json or yaml, not {fmt!r}.")
        content_type = "application/json" if fmt == "json" else "application/yaml"
        return HttpResponse(dump_spec(document, fmt), content_type=f"{content_type}; charset=utf-8")

    @extend_schema(
        operation_id="openapi_import",
        summary="Import a service's errors from its OpenAPI spec (all or nothing)",
        description="Needs a token of a user with the errors.change_errorcode permission. "
        "The service is created, named from info.title, when it does not exist yet.",
        parameters=[OpenApiParameter("dry_run", str, enum=FLAG_VALUES, required=False)],
        request={"application/yaml": SPEC_BODY, "application/json": SPEC_BODY},
        responses={
            200: dict,
            201: dict,
            **problems(400, 404, 409, 413, 415, 422, *COMMON_PROBLEMS),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        dry_run = dry_run_param(request)
        spec = parse_spec(self._spec_text(request), f"{slug} spec")
        try:
            with transaction.atomic():
                result = import_openapi(spec, slug, acting_user=request.user, dry_run=dry_run)
                created = bool(result.changes and result.changes.created)
                settle_publishers(request, slug, created=created, dry_run=dry_run)
        except RecursionError as exc:
            raise Problem("catalog_invalid", "The spec is nested too deeply to read.") from exc
        except ImportBusy as exc:
            raise Problem("publish_busy", exc.detail) from exc
        status = 201 if created and not dry_run else 200
        return Response({**result.as_dict(), "dry_run": dry_run}, status=status)

    def _spec_text(self, request: Request) -> str:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
        if size > SPEC_MAX_BYTES:
            raise Problem(
                "body_too_large",
                f"The spec is {size} bytes: the API reads at most {SPEC_MAX_BYTES}; import "
                "a larger spec with manage.py import_openapi.",
            )
        text: Any = request.data if request.method == "POST" else _raw_text(request)
        if not isinstance(text, str) or not text.strip():
            raise Problem(
                "catalog_invalid", "Send the OpenAPI spec (YAML or JSON) as the request body."
            )
        return text


def _raw_text(request: Request) -> str:
    """A GET's body (`?merge=1`): DRF parses bodies of any method, by Content-Type."""
    try:
        data = request.data
    except Exception:
        data = None
    if isinstance(data, str):
        return data
    try:
        return request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem("catalog_invalid", "The spec is not UTF-8 text: re-encode it.") from exc
