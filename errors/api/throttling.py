"""PORTAL_API_RATE: the API's one rate limit, per client."""

from __future__ import annotations

from django.conf import settings
from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.views import APIView


class ClientRateThrottle(throttling.SimpleRateThrottle):
    """PORTAL_API_RATE requests per client (user, else address); off when unset."""

    scope = "client"

    def get_rate(self) -> str | None:
        return getattr(settings, "PORTAL_API_RATE", "") or None

    def get_cache_key(self, request: Request, view: APIView) -> str:
        user = request.user
        ident = f"user-{user.pk}" if user and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
