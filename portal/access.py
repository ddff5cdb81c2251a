"""Who may see the portal: optional login for everything (Django's own middleware),
trusted-proxy single sign-on, and throttling of failed logins."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.contrib.auth.middleware import RemoteUserMiddleware
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import Resolver404, resolve

from errors.api.authentication import api_token_user
from errors.api.problems import is_api_request, problem_response


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's login requirement, on only with PORTAL_REQUIRE_LOGIN=1: every page but
    those marked `login_not_required` (the probes, the sign-in pages) needs a signed-in
    user; every address under /api/ a user or an API token, else a 401 problem. An
    address that names no page sends people to sign in too, so that what exists is not
    told to anonymous callers."""

    def process_request(self, request: HttpRequest) -> HttpResponseBase | None:
        if not settings.PORTAL_REQUIRE_LOGIN or request.user.is_authenticated:
            return None
        try:
            resolve(request.path_info)
        except Resolver404:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return None  # process_view decides

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponseBase | None:
        if not settings.PORTAL_REQUIRE_LOGIN:
            return None
        if is_api_request(request):
            # DRF marks its views login_not_required (its own permissions decide), and
            # some, like the schema's, let anyone in: under /api/ the rule holds for all.
            if request.user.is_authenticated or api_token_user(request) is not None:
                return None
            return login_required_problem(request)
        return super().process_view(request, view_func, view_args, view_kwargs)


def login_required_problem(request: HttpRequest) -> HttpResponse:
    """401 problem details for an API caller without a user or token."""
    response = problem_response(
        request,
        "authentication_required",
        "This portal requires login: send 'Authorization: Token <key>' with an API token "
        "created in the admin.",
    )
    response["WWW-Authenticate"] = "Token"
    return response


class TrustedHeaderSSOMiddleware(RemoteUserMiddleware):
    """Single sign-on through a trusted proxy's user header (PORTAL_SSO_HEADER), off by
    default. Only enable it when the proxy strips the header from clients' requests."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        super().__init__(get_response)
        name = settings.PORTAL_SSO_HEADER
        self.enabled = bool(name)
        # RemoteUserMiddleware reads `header`; here it comes from the settings.
        self.header = "HTTP_" + name.upper().replace("-", "_") if name else ""  # type: ignore[misc]

    def __call__(self, request: HttpRequest) -> Any:
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


if TYPE_CHECKING:
    # The mixin only ever comes before a login form; at run time it stays a plain mixin.
    _LoginForm = AuthenticationForm
else:
    _LoginForm = object


class ThrottledLoginMixin(_LoginForm):
    """Refuse a login form's attempts after too many failures."""

    def clean(self) -> dict[str, Any]:
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
