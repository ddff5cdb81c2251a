"""Probes for a load balancer: `/healthz` (the process answers) and `/readyz` (its
database and cache answer too); and for a caching proxy, `/catalog-version`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import DatabaseError, close_old_connections, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from errors.catalog_version import catalog_version

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication

logger = logging.getLogger("portal.health")


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up; touches nothing else."""
    return JsonResponse({"status": "ok"})


def check_database() -> str:
    """'ok', or 'down' (the reason goes to the log only)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means not ready
        connection.close_if_unusable_or_obsolete()
        # The driver's text names hosts and ports: the log has it, anonymous callers do not.
        logger.error("readiness: database unreachable: %s", exc)
        return "down"
    return "ok"


def check_cache() -> str:
    """'ok', or 'down' when the shared cache (Redis) does not answer."""
    if not settings.REDIS_URL:
        return "ok (in-process cache)"
    try:
        cast(Any, cache).client.get_client(write=True).ping()
    except Exception as exc:  # django-redis hides errors in get/set; ping does not
        logger.warning("cache unreachable, serving from the database: %s", exc)
        return "down"
    return "ok"


@login_not_required
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database and cache answer, else 503 naming what is down.

    A Redis outage is reported but does not make the portal unready: it serves from the
    database without the cache.
    """
    checks = {"database": check_database(), "cache": check_cache()}
    ready = checks["database"] == "ok"
    return JsonResponse({"status": "ok" if ready else "unavailable", **checks},
                        status=200 if ready else 503)  # fmt: skip


VERSION_PROBE_PATH = "/catalog-version"


def with_version_probe(application: WSGIApplication) -> WSGIApplication:
    """The WSGI application, answering `/catalog-version` itself before Django.

    A caching proxy in front of the portal asks it before each read (nginx's
    `auth_request`, deploy/nginx-cache.conf) and keys its cache on the answer, so a stored
    answer is used only while the catalog is unchanged: after an edit, the next read is
    new. It answers 204 with the version in `X-Catalog-Version` (it says only that the
    catalog changed, nothing of what it holds), or 503 when the database cannot be read.
    Django's middleware and URL resolution would cost as much as the replayed answer the
    proxy saves, so the probe is answered here, with Django's connection handling.
    """

    def serve(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != VERSION_PROBE_PATH:
            return application(environ, start_response)
        close_old_connections()  # what Django does as each request starts and ends
        try:
            headers = [("X-Catalog-Version", catalog_version())]
            status = "204 No Content"
        except DatabaseError as exc:
            logger.warning("catalog version probe: database unavailable: %s", exc)
            headers, status = [], "503 Service Unavailable"
        finally:
            close_old_connections()
        start_response(status, [*headers, ("Cache-Control", "no-store")])
        return []

    return serve
