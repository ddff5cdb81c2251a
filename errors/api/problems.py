"""The API's own errors as RFC 9457 problem details, documented in the `portal` catalog.

Every refusal has a stable `code`; its `type` is the URL of that code's page in the
portal's own catalog, so the portal documents itself. This small module is what the
site's plumbing (portal/) needs of the API to answer in its format: a login required, a
database outage, a failure.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse

PROBLEM_CONTENT_TYPE = "application/problem+json"
PORTAL_SERVICE = "portal"
API_PREFIX = "/api/"

# code -> (HTTP status, title). Each code is an entry of errors/catalog/demo/portal.yaml.
CODES: dict[str, tuple[int, str]] = {
    "invalid_parameter": (400, "Invalid parameter"),
    "query_too_long": (400, "Query too long"),
    "invalid_json": (400, "Invalid JSON"),
    "authentication_required": (401, "Authentication required"),
    "permission_denied": (403, "Permission denied"),
    "not_found": (404, "Not found"),
    "unknown_service": (404, "Unknown service"),
    "method_not_allowed": (405, "Method not allowed"),
    "not_acceptable": (406, "Not acceptable"),
    "publish_busy": (409, "Publish busy"),
    "body_too_large": (413, "Body too large"),
    "unsupported_media_type": (415, "Unsupported media type"),
    "catalog_invalid": (422, "Catalog invalid"),
    "rate_limited": (429, "Rate limited"),
    "internal_error": (500, "Internal error"),
    "service_unavailable": (503, "Service unavailable"),
}


# When to try again after the database could not be reached (Retry-After, seconds).
OUTAGE_RETRY_AFTER_SECONDS = 5


def is_api_request(request: HttpRequest) -> bool:
    """True for the API's addresses, which answer problems instead of pages."""
    return request.path.startswith(API_PREFIX)


def request_id(request: HttpRequest) -> str:
    """The request's id, as the request-id middleware (portal.request_ids) set it; a new
    one for a request that did not pass through it."""
    existing = getattr(request, "request_id", None)
    if not existing:
        existing = request.request_id = uuid.uuid4().hex  # type: ignore[attr-defined]
    return existing


def problem_body(request: HttpRequest, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The RFC 9457 members of one problem, plus `code`, `request_id` and extras."""
    http_status, title = CODES[code]
    page = reverse("errors:error", args=[PORTAL_SERVICE, code])
    return {
        "type": request.build_absolute_uri(page),
        "title": title,
        "status": http_status,
        "detail": detail,
        "code": code,
        "request_id": request_id(request),
        **extra,
    }


def problem_response(request: HttpRequest, code: str, detail: str, **extra: Any) -> JsonResponse:
    """A plain Django problem response, for answers made outside DRF views (404s, 500s)."""
    body = problem_body(request, code, detail, **extra)
    return JsonResponse(body, status=body["status"], content_type=PROBLEM_CONTENT_TYPE)
