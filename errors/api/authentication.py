"""Who calls the API: DRF's token authentication, done at most once per request."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

_UNSET = object()


class RequestTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, done at most once per request: the login-required
    middleware and the API view both ask, and each asking was a query."""

    def authenticate(self, request: Request | HttpRequest) -> tuple[Any, Any] | None:
        http_request = getattr(request, "_request", request)
        found = http_request.__dict__.get("portal_token_auth", _UNSET)
        if found is _UNSET:
            try:
                # The stubs want DRF's request; DRF reads only the Authorization header, which
                # a Django request (the login-required middleware's) has too.
                found = super().authenticate(request)  # type: ignore[arg-type]  # reads .META
            except AuthenticationFailed as exc:
                found = exc
            http_request.__dict__["portal_token_auth"] = found
        if isinstance(found, AuthenticationFailed):
            raise found
        user_and_token: tuple[Any, Any] | None = found
        return user_and_token


def api_token_user(request: HttpRequest) -> Any:
    """The user of a valid `Authorization: Token ...` header, or None."""
    try:
        found = RequestTokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return found[0] if found else None
