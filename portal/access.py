"""Who may see the portal: optional login for everything (Django's own middleware),
trusted-proxy single sign-on, and throttling of failed logins."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.contrib.auth.middleware import RemoteUserMiddleware
from django.contrib.auth.views import redirect_to_login
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import Resolver404, resolve

from errors.api.authentication import api_token_user
from errors.api.problems import is_api_request, problem_response

logger = logging.getLogger("portal.access")


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
    # A user name is counted per address: a stranger who fails as "alice" locks out only
    # his own address, never alice (issue 13). Each address is counted across names too.
    digest = hashlib.sha256(f"{username.strip().lower()}|{address}".encode()).hexdigest()[:32]
    return [f"login-failures:user:{digest}", f"login-failures:addr:{address}"]


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        ip in ipaddress.ip_network(net, strict=False) for net in settings.PORTAL_TRUSTED_PROXIES
    )


def client_address(request: HttpRequest | None) -> str:
    """The client's address: the peer's, or behind a trusted proxy (PORTAL_TRUSTED_PROXIES)
    the nearest address in X-Forwarded-For that is not a trusted proxy itself; behind the
    documented proxy every client had the proxy's address, so one throttled them all."""
    address: str = (request.META.get("REMOTE_ADDR") if request else "") or "unknown"
    if request is None or not _trusted(address):
        return address
    forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _trusted(hop):
            return hop
    return address


def record_login_failure(username: str, address: str) -> None:
    """Count one failed login for the user name and for the address."""
    window = settings.PORTAL_LOGIN_FAILURE_WINDOW
    counts = caches["login-failures"]
    try:
        for key in _failure_keys(username, address):
            if not counts.add(key, 1, timeout=window):
                try:
                    counts.incr(key)
                except ValueError:  # expired between add and incr
                    counts.add(key, 1, timeout=window)
    except Exception as exc:  # the shared cache is down; login_throttled says so next
        logger.error("login failures cannot be counted: %s", exc)


class ThrottleUnavailable(Exception):
    """The shared cache that counts failed logins does not answer."""


def login_throttled(username: str, address: str) -> bool:
    """True once either counter has reached the limit within the window. Raises
    ThrottleUnavailable when the counts cannot be read: the throttle fails closed."""
    limit = settings.PORTAL_LOGIN_FAILURE_LIMIT
    counts = caches["login-failures"]
    try:
        return any((counts.get(key) or 0) >= limit for key in _failure_keys(username, address))
    except Exception as exc:  # Redis down: refusing is safer than unlimited guesses
        logger.error("login failures cannot be read, refusing sign-in: %s", exc)
        raise ThrottleUnavailable from exc


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
        try:
            throttled = login_throttled(username, address)
        except ThrottleUnavailable:
            raise ValidationError(
                "Sign-in is unavailable for a moment (the portal cannot count failed "
                "attempts): try again in a minute.",
                code="throttle_unavailable",
            ) from None
        if throttled:
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
