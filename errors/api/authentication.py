"""Who calls the API: DRF's token authentication, done at most once per request."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

_UNSET = object()


class RequestTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, done at most once per request: the login-required
    middleware and the API view both ask, and each asking was a query."""

    def authenticate(self, request):
        http_request = getattr(request, "_request", request)
        found = http_request.__dict__.get("portal_token_auth", _UNSET)
        if found is _UNSET:
            try:
                found = super().authenticate(request)
            except AuthenticationFailed as exc:
                found = exc
            http_request.portal_token_auth = found
        if isinstance(found, AuthenticationFailed):
            raise found
        return found


def api_token_user(request: HttpRequest):
    """The user of a valid `Authorization: Token ...` header, or None."""
    try:
        found = RequestTokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return found[0] if found else None
