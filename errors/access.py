"""Who may see the portal: optional login for everything, trusted-proxy single sign-on,
and throttling of failed admin logins."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.middleware import RemoteUserMiddleware
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from errors.api.problems import problem_response

# Paths that stay open with PORTAL_REQUIRE_LOGIN: probes, static files, and the way in.
OPEN_PREFIXES = ("/healthz", "/readyz", "/static/")


def login_url() -> str:
    """Where people sign in."""
    return reverse(settings.LOGIN_URL)


def is_open_path(path: str) -> bool:
    """Paths anyone may reach even when the portal requires login."""
    return path.startswith(OPEN_PREFIXES) or path == login_url()


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


_UNSET = object()


def api_token_user(request: HttpRequest):
    """The user of a valid `Authorization: Token ...` header, or None."""
    try:
        found = RequestTokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return found[0] if found else None


def authentication_required(request: HttpRequest) -> HttpResponse:
    """401 problem details for the API, a redirect to the login page for people."""
    if request.path.startswith("/api/"):
        response = problem_response(
            request,
            "authentication_required",
            "This portal requires login: send 'Authorization: Token <key>' with an API token "
            "created in the admin.",
        )
        response["WWW-Authenticate"] = "Token"
        return response
    return redirect_to_login(request.get_full_path(), login_url())


class LoginRequiredMiddleware:
    """With PORTAL_REQUIRE_LOGIN=1, every route but the open ones needs a user or a token."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.PORTAL_REQUIRE_LOGIN
            and not request.user.is_authenticated
            and not is_open_path(request.path)
            and not (request.path.startswith("/api/") and api_token_user(request))
        ):
            return authentication_required(request)
        return self.get_response(request)


class TrustedHeaderSSOMiddleware(RemoteUserMiddleware):
    """Single sign-on through a trusted proxy's user header (PORTAL_SSO_HEADER), off by
    default. Only enable it when the proxy strips the header from clients' requests."""

    def __init__(self, get_response):
        super().__init__(get_response)
        name = settings.PORTAL_SSO_HEADER
        self.enabled = bool(name)
        self.header = "HTTP_" + name.upper().replace("-", "_") if name else ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.enabled:
            return self.get_response(request)
        return super().__call__(request)


# --------------------------------------------------------------------------- login throttle


def _failure_keys(username: str, address: str) -> list[str]:
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"login-failures:user:{digest}", f"login-failures:addr:{address}"]


def client_address(request: HttpRequest | None) -> str:
    """The client's address as the server saw it."""
    return (request.META.get("REMOTE_ADDR") if request else "") or "unknown"


def record_login_failure(username: str, address: str) -> None:
    """Count one failed login for the user name and for the address."""
    window = settings.PORTAL_LOGIN_FAILURE_WINDOW
    for key in _failure_keys(username, address):
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=window)


def login_throttled(username: str, address: str) -> bool:
    """True once either counter has reached the limit within the window."""
    limit = settings.PORTAL_LOGIN_FAILURE_LIMIT
    return any((cache.get(key) or 0) >= limit for key in _failure_keys(username, address))


class ThrottledLoginMixin:
    """Refuse a login form's attempts after too many failures."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        if login_throttled(username, address):
            minutes = max(1, settings.PORTAL_LOGIN_FAILURE_WINDOW // 60)
            raise ValidationError(
                f"Too many failed logins. Wait {minutes} minutes and try again, or ask an "
                "administrator to reset your password.",
                code="throttled",
            )
        try:
            return super().clean()
        except ValidationError:
            record_login_failure(username, address)
            raise


class ThrottledLoginForm(ThrottledLoginMixin, AuthenticationForm):
    """The portal's sign-in form, throttled."""


class ThrottledAdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's sign-in form, throttled."""
