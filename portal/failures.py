"""The portal's one answer to failures: a database outage is a 503 (a problem for the API,
a plain page for people), anything else a 500 in the same two forms. No traceback.

Django reconnects on the next request (`CONN_HEALTH_CHECKS`), so the portal recovers by
itself when the database returns.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults

from errors.api.problems import OUTAGE_RETRY_AFTER_SECONDS, is_api_request, problem_response

# Named as before the move, so that alerts on these log lines keep matching.
logger = logging.getLogger("portal.resilience")

UNREACHABLE = (OperationalError, InterfaceError)


# SQLite raises OperationalError for a bad statement too (a NUL in a search was reported
# as an outage): of its errors only these mean the database cannot be used.
SQLITE_OUTAGES = ("unable to open", "database is locked", "disk i/o error", "readonly database")


def is_database_outage(exc: BaseException | None) -> bool:
    """True for the errors a lost or refused database connection (or a statement past its
    time limit) raises; not for a statement the database refused."""
    if isinstance(exc, OperationalError) and isinstance(exc.__cause__, sqlite3.Error):
        return any(words in str(exc).lower() for words in SQLITE_OUTAGES)
    return isinstance(exc, UNREACHABLE) or (
        isinstance(exc, DatabaseError) and "connect" in str(exc).lower()
    )


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503: a problem-details body for the API, a plain page for people."""
    response: HttpResponse
    if is_api_request(request):
        response = problem_response(
            request, "service_unavailable", "The catalog database cannot be reached: retry shortly."
        )
    else:
        body = loader.render_to_string("503.html", request=None)
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(OUTAGE_RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Turn a database outage inside a view into a 503 instead of a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_outage(exception):
            logger.error("database unavailable: %s", exception)
            return database_unavailable_response(request)
        return None


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The portal's 404 page, with the reason a view gave (`Http404("...")`), or else
    the path: never the name of the exception (Django's own handler shows
    "Resolver404" for a URL that matches nothing)."""
    reason = exception.args[0] if exception.args else ""
    return render(
        request,
        "404.html",
        {"reason": reason if isinstance(reason, str) else "", "path": request.path},
        status=404,
    )


def handler500(request: HttpRequest) -> HttpResponse:
    """The 500 handler: an outage met outside a view (a middleware) still answers 503; a
    failure under /api/ is a problem, elsewhere the portal's own error page."""
    if is_database_outage(sys.exc_info()[1]):
        logger.error("database unavailable: %s", sys.exc_info()[1])
        return database_unavailable_response(request)
    if is_api_request(request):
        return problem_response(
            request,
            "internal_error",
            "The portal failed to answer: retry, or report the request_id.",
        )
    return defaults.server_error(request)
