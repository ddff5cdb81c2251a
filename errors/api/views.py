"""The API views: each reads its parameters, calls one catalog function, serializes.

Reads carry a weak ETag built from the catalog version (errors.api.caching), so a tool
polling an unchanged catalog gets `304 Not Modified` without the portal doing the work
again. The policies (authentication, permissions, throttling, parsers, renderers,
exceptions) live in the modules named after DRF's own.
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve, reverse_lazy
from django.utils.text import format_lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from errors import lookup
from errors.api import serializers
from errors.api.authentication import RequestTokenAuthentication
from errors.api.caching import answers_any, cached_answer, catalog_etag, is_current
from errors.api.exceptions import NotModified, Problem
from errors.api.params import (
    FLAG_VALUES,
    MAX_CODE_LENGTH,
    category_param,
    choice_param,
    dry_run_param,
    int_param,
    no_service,
    page_url,
    service_or_404,
    service_param,
    status_param,
    text_param,
    unknown_parameters_detail,
)
from errors.api.parsers import (
    CATALOG_TEXT_PARSERS,
    ApiJsonParser,
)
from errors.api.permissions import CanPublishCatalog, CatalogReadPermission, not_a_publisher
from errors.api.problems import problem_response
from errors.api.renderers import ApiJsonRenderer, YamlRenderer
from errors.api.schema import (
    CATALOG_FILE_REF,
    COMMON_PROBLEMS,
    SERVICE_PARAM,
    STATUS_PARAM,
    TEXT,
    WORD,
    ApiSchema,
    problems,
)
from errors.api.throttling import ClientRateThrottle
from errors.catalog.export import export_catalog
from errors.catalog.importer import ImportBusy, import_catalog_text
from errors.code_counts import counted_services
from errors.models import ErrorCode, Service
from errors.querysets import can_see_drafts
from errors.search.execute import search_errors
from errors.search.query import MAX_QUERY_LENGTH, QueryError, UnknownService, parse_query

MAX_PER_PAGE = 100
SUGGESTIONS = 5  # nearest codes a lookup miss answers


class ApiView(APIView):
    """The policies every endpoint shares: tokens or sessions, rate limit, JSON."""

    schema = ApiSchema()

    authentication_classes = [RequestTokenAuthentication, SessionAuthentication]
    permission_classes = [CatalogReadPermission]
    throttle_classes = [ClientRateThrottle]
    renderer_classes = [ApiJsonRenderer]
    parser_classes = [ApiJsonParser]
    # The query parameters the endpoint reads; any other is refused, so that a misspelt
    # filter (statsu=404) is not silently ignored.
    query_parameters: frozenset[str] = frozenset()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        unknown = sorted(set(request.query_params) - self.query_parameters)
        if unknown:
            raise Problem(
                "invalid_parameter", unknown_parameters_detail(unknown, self.query_parameters)
            )


LIFECYCLES = tuple(ErrorCode.Lifecycle.values)


class CachedReadView(ApiView):
    """A read whose answer only changes with the catalog: ETag, Cache-Control and 304,
    and the answer itself kept in the shared cache under the same key."""

    etag: str | None = None
    answer_key: str | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or not self.reads_catalog_only(request):
            return
        self.etag = catalog_etag(request)
        # Answers embed absolute URLs (html_url), so scheme and host are part of the key.
        self.answer_key = f"api-answer:{request.scheme}:{request.get_host()}:{self.etag}"
        if is_current(request, self.etag):
            raise NotModified(self.etag)

    def reads_catalog_only(self, request: Request) -> bool:
        """Whether this GET's answer depends on the catalog and the URL alone (not, say,
        on a body it was sent): only then is it tagged and kept."""
        return True

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.etag and response.status_code == 200 and answers_any(request):
            response.status_code = 304  # only a 200 becomes a 304
            if isinstance(response, Response):
                response.data = None
            else:  # a view's own HttpResponse (a source file, an OpenAPI document)
                response.content = b""
        if self.etag and response.status_code in (200, 304):
            response["ETag"] = self.etag
            response["Cache-Control"] = "private, max-age=0, must-revalidate"
            response["Vary"] = "Accept, Authorization, Cookie"
            # errors.api.answers may replay it while the catalog version holds.
            response.portal_catalog_read = (  # type: ignore[attr-defined]  # our own flag
                response.status_code == 200
            )
        return response


# --------------------------------------------------------------------------- services


def _services() -> Any:
    return Service.objects.prefetch_related("categories")


class ServiceListView(CachedReadView):
    @extend_schema(
        operation_id="services_list",
        summary="Every service, with its envelope, categories and code count",
        responses={200: serializers.ServiceListSerializer, **problems(*COMMON_PROBLEMS)},
    )
    @cached_answer
    def get(self, request: Request) -> Response:
        services = counted_services(request.user, _services().order_by("name"))
        data = serializers.ServiceSerializer(services, many=True, context={"request": request})
        return Response({"count": len(services), "results": data.data})


class ServiceDetailView(CachedReadView):
    @extend_schema(
        operation_id="services_retrieve",
        summary="One service",
        responses={
            200: serializers.ServiceDetailSerializer,
            **problems(404, *COMMON_PROBLEMS),
        },
    )
    @cached_answer
    def get(self, request: Request, slug: str) -> Response:
        found = counted_services(request.user, _services().filter(slug=slug))
        if not found:
            raise Problem("not_found", no_service(slug))
        (service,) = found
        data = serializers.ServiceDetailSerializer(service, context={"request": request})
        return Response(data.data)


# --------------------------------------------------------------------------- errors


class ErrorListView(CachedReadView):
    query_parameters = frozenset(
        {"q", "service", "status", "category", "lifecycle", "page", "per_page"}
    )

    @extend_schema(
        operation_id="errors_list",
        summary="Search and filter entries, ranked by relevance when q is given",
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "maxLength": MAX_QUERY_LENGTH, "pattern": TEXT},
                description="Words, a code, or filters like `status:404 service:aisafe`. "
                f"At most {MAX_QUERY_LENGTH} characters.",
                required=False,
            ),
            SERVICE_PARAM,
            STATUS_PARAM,
            OpenApiParameter(
                "category",
                {"type": "string", "maxLength": 60, "pattern": TEXT},
                description="A category slug.",
                required=False,
            ),
            OpenApiParameter("lifecycle", str, enum=list(LIFECYCLES), required=False),
            OpenApiParameter(
                "page", {"type": "integer", "minimum": 1, "maximum": 100_000}, required=False
            ),
            OpenApiParameter(
                "per_page",
                {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                description="20 by default.",
                required=False,
            ),
        ],
        responses={
            200: serializers.PageSerializer,
            **problems(400, 404, *COMMON_PROBLEMS),
        },
    )
    @cached_answer
    def get(self, request: Request) -> Response:
        text = request.query_params.get("q", "")
        if len(text.strip()) > MAX_QUERY_LENGTH:
            raise Problem(
                "query_too_long",
                f"q is {len(text.strip())} characters long: keep it to {MAX_QUERY_LENGTH}.",
            )
        text = text_param(request, "q", MAX_QUERY_LENGTH)
        page = int_param(request, "page", 1, 1, 100_000)
        per_page = int_param(request, "per_page", 20, 1, MAX_PER_PAGE)
        service = service_param(request)
        try:
            query = parse_query(
                text,
                service=service,
                status=status_param(request),
                category=category_param(request, service),
                lifecycle=choice_param(request, "lifecycle", LIFECYCLES),
            )
            results = search_errors(query, user=request.user, page=page, per_page=per_page)
        except UnknownService as exc:  # `service:x` in q; the parameter is checked above
            hint = f" Did you mean {exc.near!r}?" if exc.near else ""
            raise Problem("unknown_service", no_service(exc.slug) + hint) from exc
        except QueryError as exc:
            raise Problem("invalid_parameter", str(exc)) from exc
        pages = -(-results.total // per_page)
        if page > max(pages, 1):
            raise Problem(
                "not_found",
                f"page {page} is past the last page ({max(pages, 1)}): ask for an earlier one.",
            )
        _prefetch_replacements([hit.error for hit in results.hits])
        data = serializers.RankedEntrySerializer(
            results.hits, many=True, context={"request": request}
        )
        return Response(
            {
                "count": results.total,
                "count_is_lower_bound": results.total_is_lower_bound,
                "next": page_url(request, page + 1) if page < pages else None,
                "previous": page_url(request, page - 1) if page > 1 else None,
                "results": data.data,
            }
        )


def _prefetch_replacements(errors: list) -> None:
    """Load every `replaced_by` of a page in one query (search may not join it).

    Only entries that have one are handed over: Django reads none for the others, but
    working that out took a third of a millisecond for a page of 20."""
    prefetch_related_objects([error for error in errors if error.replaced_by_id], "replaced_by")


class ErrorDetailView(CachedReadView):
    @extend_schema(
        operation_id="errors_retrieve",
        summary="One entry with everything its page shows",
        description="Case-insensitive; `_`, `-` and spaces are ignored; an alias answers "
        "with the entry under its current code.",
        responses={
            200: serializers.ErrorDetailSerializer,
            **problems(404, *COMMON_PROBLEMS),
        },
    )
    @cached_answer
    def get(self, request: Request, slug: str, code: str) -> Response:
        if "\x00" in code or len(code) > MAX_CODE_LENGTH:
            raise Problem("not_found", "That is not a code: codes are up to 100 characters.")
        match = lookup.find_code(slug, code, user=request.user)
        if match is None:
            service_or_404(slug)
            raise Problem(
                "not_found",
                f"{slug!r} has no code {code!r}: GET /api/v1/lookup/?code={code} searches "
                "every service.",
            )
        data = serializers.ErrorDetailSerializer(match.error, context={"request": request})
        return Response(data.data)


class LookupView(CachedReadView):
    query_parameters = frozenset({"code", "service", "status"})

    @extend_schema(
        operation_id="lookup",
        summary="Every entry with this code or alias, across services",
        parameters=[
            OpenApiParameter(
                "code",
                {"type": "string", "minLength": 1, "maxLength": MAX_CODE_LENGTH, "pattern": WORD},
                required=True,
                description="A code or alias; case, `_`, `-` and spaces are ignored.",
            ),
            SERVICE_PARAM,
            STATUS_PARAM,
        ],
        responses={
            200: serializers.LookupResponseSerializer,
            **problems(400, 404, *COMMON_PROBLEMS),
        },
    )
    @cached_answer
    def get(self, request: Request) -> Response:
        code = text_param(request, "code")
        if not code:
            raise Problem("invalid_parameter", "code is required: /api/v1/lookup/?code=NOT_FOUND")
        status = status_param(request)
        service = service_param(request)
        matches = lookup.find_code_matches(
            code, service=service or None, status=status, user=request.user
        )
        context = {"request": request}
        data = serializers.RankedEntrySerializer(matches, many=True, context=context)
        near = (
            []
            if matches
            else lookup.nearest_codes(code, service=service, status=status, user=request.user)
        )
        _prefetch_replacements(near)
        return Response(
            {
                "count": len(matches),
                "results": data.data,
                "suggestions": serializers.ErrorEntrySerializer(
                    near, many=True, context=context
                ).data,
            }
        )


class CatalogView(CachedReadView):
    query_parameters = frozenset({"format", "dry_run"})

    permission_classes = [CanPublishCatalog]
    parser_classes = CATALOG_TEXT_PARSERS
    renderer_classes = [ApiJsonRenderer, YamlRenderer]

    @extend_schema(
        operation_id="catalog_retrieve",
        summary="A service's whole catalog, in the catalog file format",
        parameters=[
            OpenApiParameter(
                "format", str, enum=["json", "yaml"], required=False, description="json by default."
            )
        ],
        responses={
            (200, "application/json"): CATALOG_FILE_REF,
            (200, "application/yaml"): CATALOG_FILE_REF,
            **problems(400, 404, *COMMON_PROBLEMS),
        },
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        fmt = request.query_params.get("format", "json").strip().lower()
        if fmt not in ("json", "yaml"):
            raise Problem("invalid_parameter", f"format must be json or yaml, not {fmt!r}.")
        service = service_or_404(slug)
        content_type = "application/json" if fmt == "json" else "application/yaml"
        return HttpResponse(
            export_catalog(service, fmt, drafts=can_see_drafts(request.user)),
            content_type=f"{content_type}; charset=utf-8",
        )

    @extend_schema(
        operation_id="catalog_publish",
        summary="Publish a service's whole catalog (all or nothing)",
        description="Needs a token (or session) of a user with the errors.change_errorcode "
        "permission. The body is a catalog file: YAML or JSON, by Content-Type.",
        parameters=[
            OpenApiParameter(
                "dry_run",
                str,
                enum=FLAG_VALUES,
                required=False,
                description="1 to only say what would change.",
            )
        ],
        request={
            "application/yaml": CATALOG_FILE_REF,
            "application/json": CATALOG_FILE_REF,
        },
        responses={
            200: serializers.ServiceChangesSerializer,
            201: serializers.ServiceChangesSerializer,
            **problems(400, 404, 409, 413, 415, 422, *COMMON_PROBLEMS),
        },
    )
    def put(self, request: Request, slug: str) -> Response:
        dry_run = dry_run_param(request)
        text = request.data if isinstance(request.data, str) else ""
        is_json = request.content_type.startswith("application/json")
        name = f"{slug}.json" if is_json else f"{slug}.yaml"
        try:
            with transaction.atomic():
                changes = import_catalog_text(
                    text, name, acting_user=request.user, dry_run=dry_run, expected_slug=slug
                )
                settle_publishers(request, slug, created=changes.created, dry_run=dry_run)
        except RecursionError as exc:
            raise Problem(
                "catalog_invalid", "The catalog is nested too deeply to read: flatten it."
            ) from exc
        except ImportBusy as exc:
            raise Problem("publish_busy", exc.detail) from exc
        status = 201 if changes.created and not dry_run else 200
        return Response({**changes.as_dict(), "dry_run": dry_run}, status=status)


def settle_publishers(request: Request, slug: str, *, created: bool, dry_run: bool) -> None:
    """In the publish's transaction, the import's lock held: a service the publish created
    lists its publisher as its first one, who may then publish it again; a service that
    another publish created since this one's permission check (errors.api.permissions
    found the slug free) refuses a user it does not list, and the import is undone."""
    if request.user.pk is None:
        return
    if created:
        if not dry_run:
            Service.objects.get(slug=slug).publishers.add(request.user.pk)
        return
    service = Service.objects.get(slug=slug)
    if not service.may_be_published_by(request.user):  # a dry run's diff is refused too
        raise PermissionDenied(not_a_publisher(request.user, service))


@csrf_exempt  # it changes nothing; a CSRF page would hide the problem it answers
def unknown_address(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/: a problem, with a hint when only the slash is missing."""
    path = request.path
    hint = "GET /api/v1/schema/ lists every endpoint, /api/docs/ documents them."
    if not path.endswith("/"):
        try:
            match = resolve(path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not unknown_address:
            hint = f"add the trailing slash: {path}/"
    return problem_response(request, "not_found", f"Nothing is at {path}: {hint}")


# The interactive reference. The split view serves Swagger UI's start-up script as a file
# of its own, so the page runs under the portal's CSP with no inline script; Swagger UI
# sets inline styles, which its page alone allows.
api_docs = csp_update({"style-src": ["'self'", "'unsafe-inline'"]})(
    # `?for=docs`: the schema as the reference shows it, public reads without a lock.
    SpectacularSwaggerSplitView.as_view(url=format_lazy("{}?for=docs", reverse_lazy("api:schema")))
)
