"""`GET /api/v1/services/<slug>/clients/<language>/`: a service's codes as source.

The answer is text, whatever the caller accepts: a source file is what was asked for,
and problems stay JSON. It carries the ETag of the catalog version like every read.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request

from errors.api.exceptions import Problem
from errors.api.params import service_or_404
from errors.api.renderers import AnyAcceptNegotiation
from errors.api.schema import COMMON_PROBLEMS, problems
from errors.api.views import CachedReadView
from errors.clients import LANGUAGES, UnknownLanguage, generate_client


class ClientSourceView(CachedReadView):
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        operation_id="clients_retrieve",
        summary="A service's codes as source: constants, lookup and retry helpers",
        description="One file: a Python module, a TypeScript module, a Go package or a Java "
        "enum. Content-Disposition names the path the file expects (Go and Java want "
        "their package's folders).",
        parameters=[
            OpenApiParameter(
                "language", str, OpenApiParameter.PATH, enum=list(LANGUAGES), required=True
            )
        ],
        responses={
            (200, "text/plain"): OpenApiTypes.STR,
            **problems(404, *COMMON_PROBLEMS),
        },
    )
    def get(self, request: Request, slug: str, language: str) -> HttpResponse:
        service = service_or_404(slug)
        try:
            client = generate_client(service, language, request.build_absolute_uri("/"))
        except UnknownLanguage as exc:
            raise Problem("not_found", str(exc)) from exc
        response = HttpResponse(client.text, content_type="text/plain; charset=utf-8")
        name = client.filename.rsplit("/", 1)[-1]
        response["Content-Disposition"] = f'inline; filename="{name}"'
        response["X-Portal-Source-Path"] = client.filename
        return response
