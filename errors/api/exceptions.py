"""Exceptions of the API and DRF's EXCEPTION_HANDLER: every failure, expected or not,
becomes a problem details response with a documented code."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from errors.api.problems import (
    CODES,
    OUTAGE_RETRY_AFTER_SECONDS,
    PROBLEM_CONTENT_TYPE,
    problem_body,
    request_id,
)
from errors.catalog.problems import CatalogInvalid

logger = logging.getLogger("errors.api")


class Problem(exceptions.APIException):
    """A refusal with one of the documented codes and a detail that says what to fix."""

    def __init__(self, code: str, detail: str, *, extra: dict[str, Any] | None = None):
        self.status_code, self.default_detail = CODES[code]
        self.problem_code = code
        self.extra = extra or {}
        super().__init__(detail=detail, code=code)


class NotModified(exceptions.APIException):
    """The client's copy (If-None-Match) is current: answer 304 without a body."""

    status_code = status.HTTP_304_NOT_MODIFIED

    def __init__(self, etag: str):
        self.etag = etag
        super().__init__(detail="")


def _problem_for(exc: Exception, allowed: str = "") -> tuple[str, str, dict[str, Any]]:
    """The code, detail and extra members that describe an exception (`allowed`: the
    methods the address takes)."""
    if isinstance(exc, Problem):
        return exc.problem_code, str(exc.detail), exc.extra
    if isinstance(exc, CatalogInvalid):
        listed = [
            {"file": p.file, "place": p.place, "line": p.line, "message": p.message}
            for p in exc.problems
        ]
        count = len(listed)
        detail = f"The {exc.what} has {count} problem{'s' if count != 1 else ''}: " + "; ".join(
            str(problem) for problem in exc.problems[:3]
        )
        return "catalog_invalid", detail, {"errors": listed}
    if isinstance(exc, exceptions.ParseError):
        return "invalid_json", f"{str(exc.detail).rstrip('.')}. Send a valid JSON document.", {}
    if isinstance(exc, exceptions.ValidationError):
        return (
            "invalid_parameter",
            validation_detail(exc.detail),
            {"errors": _validation_list(exc.detail)},
        )
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return (
            "authentication_required",
            f"{exc.detail} Send 'Authorization: Token <key>' with a token from the admin.",
            {},
        )
    if isinstance(exc, exceptions.PermissionDenied | DjangoPermissionDenied):
        return "permission_denied", str(getattr(exc, "detail", "")) or "Not allowed.", {}
    if isinstance(exc, exceptions.NotFound | Http404):
        return "not_found", "Nothing is at this address: check the URL.", {}
    if isinstance(exc, exceptions.MethodNotAllowed):
        hint = f" This address takes {allowed}." if allowed else ""
        return "method_not_allowed", f"{exc.detail}{hint}", {}
    if isinstance(exc, exceptions.NotAcceptable):
        return "not_acceptable", "This API answers JSON: send 'Accept: application/json'.", {}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return (
            "unsupported_media_type",
            f"{exc.detail} Send Content-Type: application/json (or application/yaml for a "
            "catalog, text/plain for a raw identify body).",
            {},
        )
    if isinstance(exc, exceptions.Throttled):
        wait = _wait(exc)
        return "rate_limited", f"Too many requests: retry in {wait} seconds.", {}
    if isinstance(exc, RequestDataTooBig):
        return "body_too_large", "The request body is too large: send a smaller one.", {}
    if isinstance(exc, OperationalError):
        return "service_unavailable", "The catalog database is unavailable: retry shortly.", {}
    return "internal_error", "The portal failed to answer: retry, or report the request_id.", {}


def validation_detail(detail: Any) -> str:
    """A one-line message out of DRF's nested validation errors."""
    if isinstance(detail, dict):
        return " ".join(f"{name}: {validation_detail(value)}" for name, value in detail.items())
    if isinstance(detail, list):
        return " ".join(validation_detail(item) for item in detail)
    return str(detail)


def _validation_list(detail: Any, place: str = "") -> list[dict[str, str]]:
    """DRF's nested validation errors as a flat list of {"place", "message"}."""
    if isinstance(detail, dict):
        return [
            item
            for name, value in detail.items()
            for item in _validation_list(value, f"{place}.{name}" if place else str(name))
        ]
    if isinstance(detail, list):
        return [item for value in detail for item in _validation_list(value, place)]
    return [{"place": place, "message": str(detail)}]


def _wait(exc: exceptions.Throttled) -> int:
    """Seconds until the client may try again (DRF sets `wait`; its stubs do not say)."""
    return int(getattr(exc, "wait", None) or 1)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every failure becomes a problem details response."""
    request = context["request"]
    if isinstance(exc, NotModified):
        return Response(status=304, headers={"ETag": exc.etag})
    view = context.get("view")
    allowed = ", ".join(m for m in view.allowed_methods if m != "OPTIONS") if view else ""
    code, detail, extra = _problem_for(exc, allowed)
    if code in ("internal_error", "service_unavailable") or isinstance(exc, DatabaseError):
        logger.exception("API error %s on %s", request_id(request), request.path)
    body = problem_body(request, code, detail, **extra)
    headers = {}
    if isinstance(exc, exceptions.Throttled):
        headers["Retry-After"] = str(_wait(exc))
    if code == "service_unavailable":
        headers["Retry-After"] = str(OUTAGE_RETRY_AFTER_SECONDS)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        headers["WWW-Authenticate"] = 'Token realm="api"'
    if isinstance(exc, exceptions.MethodNotAllowed) and context.get("view") is not None:
        headers["Allow"] = ", ".join(context["view"].allowed_methods)
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)
