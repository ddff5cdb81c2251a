"""Probes for a load balancer: `/healthz` (the process answers) and `/readyz` (its
database and cache answer too)."""

from __future__ import annotations

import logging
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

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
