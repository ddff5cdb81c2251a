"""The API views: each reads its parameters, calls one catalog function, serializes.

Reads carry a weak ETag built from the catalog version, so a tool polling an unchanged
catalog gets `304 Not Modified` without the portal doing the work again.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
from collections.abc import Callable
from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, prefetch_related_objects
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import permissions, throttling
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from errors import identify as identification
from errors.access import RequestTokenAuthentication
from errors.api import serializers
from errors.api.answers import if_none_match
from errors.api.problems import PROBLEM_CONTENT_TYPE, NotModified, Problem, problem_response
from errors.api.schema import CATALOG_FILE_REF
from errors.catalog.export import export_catalog
from errors.catalog.files import CatalogFile, parse_catalog
from errors.catalog.importer import import_catalog_text
from errors.catalog.problems import CatalogInvalid
from errors.catalog_version import catalog_version
from errors.models import Category, Service
from errors.search import MAX_QUERY_LENGTH, QueryError, parse_query, search_errors

IDENTIFY_MAX_BYTES = 64 * 1024
MAX_PER_PAGE = 100
MAX_CODE_LENGTH = 100
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"", "0", "false", "no", "off"}


# --------------------------------------------------------------------------- policies


class ClientRateThrottle(throttling.SimpleRateThrottle):
    """PORTAL_API_RATE requests per client (user, else address); off when unset."""

    scope = "client"

    def get_rate(self) -> str | None:
        return getattr(settings, "PORTAL_API_RATE", "") or None

    def get_cache_key(self, request: Request, view: APIView) -> str:
        user = request.user
        ident = f"user-{user.pk}" if user and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class CatalogReadPermission(permissions.BasePermission):
    """Reads are open, unless the portal requires login (PORTAL_REQUIRE_LOGIN)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if getattr(settings, "PORTAL_REQUIRE_LOGIN", False):
            return bool(request.user and request.user.is_authenticated)
        return True


class CanPublishCatalog(permissions.BasePermission):
    """Publishing a catalog takes a user who may change error codes."""

    message = (
        "Publishing a catalog needs a user with the 'errors.change_errorcode' permission: "
        "ask an admin to grant it to the token's user."
    )

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return CatalogReadPermission().has_permission(request, view)
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("errors.change_errorcode"))


class ApiJsonParser(JSONParser):
    """JSON bodies; one nested deeper than Python's parser goes is a 400, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc


class CatalogTextParser(BaseParser):
    """A catalog file as text; `errors.catalog` reads both YAML and JSON."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None) -> str:
        data = stream.read() if stream is not None else b""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Problem(
                "catalog_invalid", f"The catalog is not UTF-8 text ({exc.reason}): re-encode it."
            ) from exc


class CatalogJsonTextParser(CatalogTextParser):
    media_type = "application/json"


class CatalogXYamlTextParser(CatalogTextParser):
    media_type = "application/x-yaml"


class CatalogTextYamlParser(CatalogTextParser):
    media_type = "text/yaml"


class ApiJsonRenderer(JSONRenderer):
    """JSON with non-ASCII escaped: any text a caller sent (even a lone surrogate that
    JSON allows as an escape) can be echoed back without failing to encode."""

    ensure_ascii = True


class YamlRenderer(ApiJsonRenderer):
    """Lets `Accept: application/yaml` through content negotiation for catalogs."""

    media_type = "application/yaml"
    format = "yaml"


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
            raise Problem("invalid_parameter", unknown_parameters_detail(unknown, self))


def unknown_parameters_detail(unknown: list[str], view: ApiView) -> str:
    """Name the unknown parameters, the nearest known ones and all that are taken."""
    allowed = sorted(view.query_parameters)
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, allowed, n=1)
        hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    takes = ", ".join(allowed) if allowed else "no query parameters"
    return f"unknown parameter {', '.join(hints)}: this endpoint takes {takes}."


# How long an answer stays in the cache; the catalog version in its key retires it sooner.
ANSWER_SECONDS = 3600


class CachedReadView(ApiView):
    """A read whose answer only changes with the catalog: ETag, Cache-Control and 304,
    and the answer itself kept in the shared cache under the same key."""

    etag: str | None = None
    answer_key: str | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD"):
            return
        self.etag = self.compute_etag(request)
        # Answers embed absolute URLs (html_url), so scheme and host are part of the key.
        self.answer_key = f"api-answer:{request.scheme}:{request.get_host()}:{self.etag}"
        if if_none_match(request.META.get("HTTP_IF_NONE_MATCH", ""), self.etag):
            raise NotModified(self.etag)

    def compute_etag(self, request: Request) -> str:
        """Catalog version + what was asked + who may see drafts."""
        staff = bool(request.user and request.user.is_active and request.user.is_staff)
        # AnswerMiddleware has read the version for this request already when it ran.
        version = getattr(request._request, "portal_catalog_version", None) or catalog_version()
        raw = f"{version}|{request.get_full_path()}|{staff}"
        return 'W/"' + hashlib.blake2b(raw.encode(), digest_size=12).hexdigest() + '"'

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.etag and response.status_code in (200, 304):
            response["ETag"] = self.etag
            response["Cache-Control"] = "private, max-age=0, must-revalidate"
            response["Vary"] = "Accept, Authorization, Cookie"
            # errors.api.answers may replay it while the catalog version holds.
            response.portal_catalog_read = response.status_code == 200
        return response


# --------------------------------------------------------------------------- parameters


def _text_param(request: Request, name: str, max_length: int = MAX_CODE_LENGTH) -> str:
    value = request.query_params.get(name, "").strip()
    if "\x00" in value:
        raise Problem("invalid_parameter", f"{name} contains a NUL character: remove it.")
    if len(value) > max_length:
        raise Problem(
            "invalid_parameter",
            f"{name} is {len(value)} characters long: keep it to {max_length}.",
        )
    return value


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Problem(
            "invalid_parameter", f"{name} must be a whole number from {low} to {high}, not {raw!r}."
        )
    return int(raw)


def _status_param(request: Request) -> int | None:
    raw = request.query_params.get("status")
    if raw is None:
        return None
    raw = raw.strip()
    if not raw.isdigit() or not 100 <= int(raw) <= 599:
        raise Problem("invalid_parameter", f"status must be a number from 100 to 599, not {raw!r}.")
    return int(raw)


def _service_param(request: Request) -> str:
    slug = _text_param(request, "service", 60).lower()
    if slug and not Service.objects.filter(slug=slug).exists():
        raise Problem(
            "unknown_service",
            f"There is no service {slug!r}: GET /api/v1/services/ lists the slugs.",
        )
    return slug


def _category_param(request: Request, service: str) -> str:
    """The category filter: a slug some service (or the given one) has, else a 404 like
    an unknown service's (the filter names a thing that isn't there)."""
    slug = _text_param(request, "category", 60).lower()
    if not slug:
        return ""
    categories = Category.objects.filter(slug=slug)
    if service:
        categories = categories.filter(service__slug=service)
    if not categories.exists():
        where = f"{service}'s categories" if service else "each service's categories"
        listing = f"/api/v1/services/{service}/" if service else "/api/v1/services/"
        raise Problem(
            "not_found",
            f"There is no category {slug!r}: GET {listing} lists {where}.",
        )
    return slug


def _service_or_404(slug: str) -> Service:
    service = Service.objects.filter(slug=slug).first()
    if service is None:
        raise Problem(
            "not_found", f"There is no service {slug!r}: GET /api/v1/services/ lists the slugs."
        )
    return service


def _page_url(request: Request, page: int) -> str:
    params = request.query_params.copy()
    params["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def _problems(*codes: int) -> dict:
    """The problem responses an operation documents, by status."""
    responses = {(status, PROBLEM_CONTENT_TYPE): serializers.ProblemSerializer for status in codes}
    return responses


COMMON_PROBLEMS = (401, 403, 406, 429, 500)
TEXT = "^[^\\x00]*$"  # no NUL characters: they cannot be stored or searched
WORD = "^[^\\x00]*[^\\x00\\s][^\\x00]*$"  # ... and at least one visible character
SERVICE_PARAM = OpenApiParameter(
    "service",
    {"type": "string", "maxLength": 60, "pattern": "^[A-Za-z0-9-]*$"},
    description="Only this service (its slug).",
    required=False,
)
STATUS_PARAM = OpenApiParameter(
    "status",
    {"type": "integer", "minimum": 100, "maximum": 599},
    description="Only entries with this HTTP status.",
    required=False,
)


# --------------------------------------------------------------------------- services


def _services(request: Request):
    user = request.user
    staff = bool(user and user.is_active and user.is_staff)
    visible = Q() if staff else Q(errors__published=True)
    return Service.objects.annotate(error_count=Count("errors", filter=visible)).prefetch_related(
        "categories"
    )


def cached_answer(get: Callable[..., Response]) -> Callable[..., Response]:
    """Serve a read from the shared cache when the catalog has not changed since it was
    answered: the key holds the catalog version, so any write makes it unreachable."""

    @functools.wraps(get)
    def answer(self: CachedReadView, request: Request, *args: Any, **kwargs: Any) -> Response:
        if self.answer_key:
            data = cache.get(self.answer_key)
            if data is not None:
                return Response(data)
        response = get(self, request, *args, **kwargs)
        if self.answer_key and response.status_code == 200:
            cache.set(self.answer_key, response.data, ANSWER_SECONDS)
        return response

    return answer


class ServiceListView(CachedReadView):
    @extend_schema(
        operation_id="services_list",
        summary="Every service, with its envelope, categories and code count",
        responses={200: serializers.ServiceListSerializer, **_problems(*COMMON_PROBLEMS)},
    )
    @cached_answer
    def get(self, request: Request) -> Response:
        services = list(_services(request).order_by("name"))
        data = serializers.ServiceSerializer(services, many=True, context={"request": request})
        return Response({"count": len(services), "results": data.data})


class ServiceDetailView(CachedReadView):
    @extend_schema(
        operation_id="services_retrieve",
        summary="One service",
        responses={200: serializers.ServiceDetailSerializer, **_problems(404, *COMMON_PROBLEMS)},
    )
    @cached_answer
    def get(self, request: Request, slug: str) -> Response:
        service = _services(request).filter(slug=slug).first()
        if service is None:
            _service_or_404(slug)
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
            OpenApiParameter(
                "lifecycle", str, enum=["active", "deprecated", "removed"], required=False
            ),
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
        responses={200: serializers.PageSerializer, **_problems(400, 404, *COMMON_PROBLEMS)},
    )
    @cached_answer
    def get(self, request: Request) -> Response:
        text = request.query_params.get("q", "")
        if len(text.strip()) > MAX_QUERY_LENGTH:
            raise Problem(
                "query_too_long",
                f"q is {len(text.strip())} characters long: keep it to {MAX_QUERY_LENGTH}.",
            )
        text = _text_param(request, "q", MAX_QUERY_LENGTH)
        page = _int_param(request, "page", 1, 1, 100_000)
        per_page = _int_param(request, "per_page", 20, 1, MAX_PER_PAGE)
        service = _service_param(request)
        try:
            query = parse_query(
                text,
                service=service,
                status=_status_param(request),
                category=_category_param(request, service),
                lifecycle=_text_param(request, "lifecycle", 20),
            )
        except QueryError as exc:
            raise Problem("invalid_parameter", str(exc)) from exc
        results = search_errors(query, user=request.user, page=page, per_page=per_page)
        pages = -(-results.total // per_page)
        if page > max(pages, 1):
            raise Problem(
                "not_found",
                f"page {page} is past the last page ({max(pages, 1)}): ask for an earlier one.",
            )
        errors = [hit.error for hit in results.hits]
        _prefetch_replacements(errors)
        data = serializers.ErrorEntrySerializer(errors, many=True, context={"request": request})
        return Response(
            {
                "count": results.total,
                "count_is_lower_bound": results.total_is_lower_bound,
                "next": _page_url(request, page + 1) if page < pages else None,
                "previous": _page_url(request, page - 1) if page > 1 else None,
                "results": data.data,
            }
        )


def _prefetch_replacements(errors: list) -> None:
    """Load every `replaced_by` of a page in one query (search may not join it)."""
    prefetch_related_objects(errors, "replaced_by")


class ErrorDetailView(CachedReadView):
    @extend_schema(
        operation_id="errors_retrieve",
        summary="One entry with everything its page shows",
        description="Case-insensitive; `_`, `-` and spaces are ignored; an alias answers "
        "with the entry under its current code.",
        responses={200: serializers.ErrorDetailSerializer, **_problems(404, *COMMON_PROBLEMS)},
    )
    @cached_answer
    def get(self, request: Request, slug: str, code: str) -> Response:
        if "\x00" in code or len(code) > MAX_CODE_LENGTH:
            raise Problem("not_found", "That is not a code: codes are up to 100 characters.")
        error = identification.find_entry(slug, code, user=request.user)
        if error is None:
            _service_or_404(slug)
            raise Problem(
                "not_found",
                f"{slug!r} has no code {code!r}: GET /api/v1/lookup/?code={code} searches "
                "every service.",
            )
        data = serializers.ErrorDetailSerializer(error, context={"request": request})
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
            **_problems(400, 404, *COMMON_PROBLEMS),
        },
    )
    @cached_answer
    def get(self, request: Request) -> Response:
        code = _text_param(request, "code")
        if not code:
            raise Problem("invalid_parameter", "code is required: /api/v1/lookup/?code=NOT_FOUND")
        status = _status_param(request)
        service = _service_param(request)
        errors = identification.lookup_codes(
            code, service=service or None, status=status, user=request.user
        )
        data = serializers.ErrorEntrySerializer(errors, many=True, context={"request": request})
        return Response({"count": len(errors), "results": data.data})


# --------------------------------------------------------------------------- identify


class IdentifyView(ApiView):
    @extend_schema(
        operation_id="identify",
        summary="Which entries a raw error response is, best first",
        request=serializers.IdentifyRequestSerializer,
        responses={
            200: serializers.IdentifyResponseSerializer,
            **_problems(400, 404, 413, 415, *COMMON_PROBLEMS),
        },
        examples=[
            OpenApiExample(
                "A body without a code field",
                request_only=True,
                value={
                    "status": 400,
                    "body": {
                        "error": "Bad Request",
                        "message": "weight must be between 0 and 1",
                        "status": 400,
                    },
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
        if size > IDENTIFY_MAX_BYTES or len(request.body) > IDENTIFY_MAX_BYTES:
            raise Problem(
                "body_too_large",
                f"The request is {max(size, len(request.body))} bytes: identify reads at most "
                f"{IDENTIFY_MAX_BYTES} (64 KiB); send the first 64 KiB of the body.",
            )
        given = serializers.IdentifyRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        fields = given.validated_data
        body = fields["body"]
        content_type = fields.get("headers", {}).get("content-type", "")
        if isinstance(body, str) and content_type and "json" not in content_type:
            body = identification.PlainText(body)
        try:
            found = identification.identify(
                body,
                status=fields.get("status"),
                service=fields.get("service") or None,
                user=request.user,
            )
        except identification.UnknownService as exc:
            raise Problem(
                "unknown_service",
                f"There is no service {exc.args[0]!r}: GET /api/v1/services/ lists the slugs.",
            ) from exc
        data = serializers.IdentifiedEntrySerializer(found, many=True, context={"request": request})
        return Response({"results": data.data})


# --------------------------------------------------------------------------- catalogs


def _dry_run(request: Request) -> bool:
    raw = request.query_params.get("dry_run", "").strip().lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise Problem("invalid_parameter", f"dry_run must be 1 or 0, not {raw!r}.")


def _reject_unencodable_text(catalog: CatalogFile) -> None:
    """Refuse strings that cannot be stored as UTF-8 (lone surrogates from `\\ud800`
    escapes): once in the database they would break every page that shows them."""
    problems = []

    def walk(node: Any, path: tuple) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*path, index))
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                message = "this text has an unpaired surrogate escape (\\ud800-\\udfff): "
                problems.append(catalog.problem(path, message + "write the character itself."))

    walk(catalog.data, ())
    if problems:
        raise CatalogInvalid(problems)


class CatalogView(CachedReadView):
    query_parameters = frozenset({"format", "dry_run"})

    permission_classes = [CanPublishCatalog]
    parser_classes = [
        CatalogTextParser,
        CatalogJsonTextParser,
        CatalogXYamlTextParser,
        CatalogTextYamlParser,
    ]
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
            **_problems(400, 404, *COMMON_PROBLEMS),
        },
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        fmt = request.query_params.get("format", "json").strip().lower()
        if fmt not in ("json", "yaml"):
            raise Problem("invalid_parameter", f"format must be json or yaml, not {fmt!r}.")
        service = _service_or_404(slug)
        content_type = "application/json" if fmt == "json" else "application/yaml"
        return HttpResponse(
            export_catalog(service, fmt), content_type=f"{content_type}; charset=utf-8"
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
                enum=["1", "0", "true", "false", "yes", "no", "on", "off"],
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
            **_problems(400, 404, 413, 415, 422, *COMMON_PROBLEMS),
        },
    )
    def put(self, request: Request, slug: str) -> Response:
        dry_run = _dry_run(request)
        text = request.data if isinstance(request.data, str) else ""
        is_json = request.content_type.startswith("application/json")
        name = f"{slug}.json" if is_json else f"{slug}.yaml"
        try:
            _reject_unencodable_text(parse_catalog(text, name))
            changes = import_catalog_text(
                text, name, acting_user=request.user, dry_run=dry_run, expected_slug=slug
            )
        except RecursionError as exc:
            raise Problem(
                "catalog_invalid", "The catalog is nested too deeply to read: flatten it."
            ) from exc
        status = 201 if changes.created and not dry_run else 200
        return Response({**changes.as_dict(), "dry_run": dry_run}, status=status)


@csrf_exempt  # it changes nothing; a CSRF page would hide the problem it answers
def unknown_address(request, rest: str = "") -> HttpResponse:
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


def server_error(request, *args, **kwargs) -> HttpResponse:
    """handler500: a problem under /api/, the portal's own error page elsewhere."""
    if request.path.startswith("/api/"):
        return problem_response(
            request,
            "internal_error",
            "The portal failed to answer: retry, or report the request_id.",
        )
    return defaults.server_error(request, *args, **kwargs)


# The interactive reference. The split view serves Swagger UI's start-up script as a file
# of its own, so the page runs under the portal's CSP with no inline script; Swagger UI
# sets inline styles, which its page alone allows.
api_docs = csp_update({"style-src": ["'self'", "'unsafe-inline'"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api:schema")
)
