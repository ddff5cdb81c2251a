"""Access rules: PORTAL_REQUIRE_LOGIN closes every route, SSO header, login throttling."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

SAMPLE_VALUES = {"slug": "sigsentry", "int": "404", "str": "RATE_LIMITED", "path": "x"}
OPEN_PATHS = {"/healthz", "/readyz", "/accounts/login/", "/admin/login/"}  # probes, sign-in


def walk(patterns, prefix: str = "") -> list[str]:
    """Every URL of the URLconf, with sample values in place of converters."""
    urls = []
    for pattern in patterns:
        route = str(pattern.pattern)
        if route.startswith("^"):  # regex routes (the admin's): use a concrete form
            route = route.strip("^$").replace("\\Z", "")
            if "(?P" in route:
                continue
        for name, value in SAMPLE_VALUES.items():
            route = _fill(route, name, value)
        if isinstance(pattern, URLResolver):
            urls += walk(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            urls.append("/" + prefix + route)
    return urls


def _fill(route: str, converter: str, value: str) -> str:
    while f"<{converter}:" in route:
        start = route.index(f"<{converter}:")
        route = route[:start] + value + route[route.index(">", start) + 1 :]
    return route


@override_settings(PORTAL_REQUIRE_LOGIN=True)
def test_every_route_is_closed_to_anonymous_users(demo):
    urls = walk(get_resolver().url_patterns)
    assert len(urls) > 20
    client = Client()
    for url in urls:
        response = client.get(url)
        if url in OPEN_PATHS:
            assert response.status_code == 200, url
        elif url.startswith(("/api/", "/mcp/")):  # /mcp/ keeps the API's rules (issue 18)
            assert response.status_code == 401, url
            assert response["Content-Type"] == "application/problem+json"
        else:
            # Some admin views send people to the admin's own (throttled) sign-in page.
            admin = url.startswith("/admin/")
            logins = ("/accounts/login/", "/admin/login/") if admin else ("/accounts/login/",)
            assert response.status_code == 302, url
            assert response["Location"].startswith(logins), url


@override_settings(PORTAL_REQUIRE_LOGIN=True)
def test_signed_in_user_sees_the_pages(demo):
    user = User.objects.create_user("reader", password="pw-long-enough-123")
    client = Client()
    client.force_login(user)
    assert client.get("/services/sigsentry/").status_code == 200


def test_portal_is_open_by_default(demo):
    assert Client().get("/services/sigsentry/").status_code == 200


@override_settings(PORTAL_SSO_HEADER="X-Forwarded-User", PORTAL_REQUIRE_LOGIN=True)
def test_trusted_proxy_header_signs_the_user_in(demo):
    client = Client()
    response = client.get("/services/sigsentry/", headers={"X-Forwarded-User": "alice"})
    assert response.status_code == 200
    assert User.objects.filter(username="alice").exists()


def test_sso_header_is_ignored_when_not_configured(demo):
    Client().get("/", headers={"X-Forwarded-User": "mallory"})
    assert not User.objects.filter(username="mallory").exists()


@override_settings(PORTAL_LOGIN_FAILURE_LIMIT=3)
def test_failed_admin_logins_are_throttled():
    User.objects.create_superuser("admin", "a@example.com", "right-password-123")
    client = Client()
    for _ in range(3):
        response = client.post("/admin/login/", {"username": "admin", "password": "wrong"})
        assert "Too many failed logins" not in response.text
    response = client.post("/admin/login/", {"username": "admin", "password": "right-password-123"})
    assert response.status_code == 200
    assert "Too many failed logins. Wait 15 minutes" in response.text


@override_settings(PORTAL_LOGIN_FAILURE_LIMIT=3)
def test_throttle_counts_per_address_across_user_names():
    client = Client()
    for name in ("a", "b", "c"):
        client.post("/accounts/login/", {"username": name, "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "d", "password": "wrong"})
    assert "Too many failed logins" in response.text


def test_successful_login_below_the_limit():
    User.objects.create_superuser("admin", "a@example.com", "right-password-123")
    client = Client()
    client.post("/admin/login/", {"username": "admin", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "admin", "password": "right-password-123"})
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_over_plain_http_are_not_redirected(db, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get(path).status_code == 200
    assert Client().get("/").status_code == 301


def test_health_probes(db):
    client = Client()
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok (in-process cache)",
    }


def test_security_headers(demo):
    response = Client().get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@override_settings(PORTAL_REQUIRE_LOGIN=True)
def test_an_address_that_names_no_page_sends_anonymous_users_to_sign_in(db):
    # A 404 would tell an anonymous caller which addresses exist.
    response = Client().get("/no-such-page/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/no-such-page/")
    assert Client().get("/api/v1/no-such-endpoint/").status_code == 401


# --------------------------------------------------------------------------- issue 13


def fail_login(client: Client, name: str = "admin", **headers: Any):
    return client.post("/accounts/login/", {"username": name, "password": "wrong"}, **headers)


@override_settings(PORTAL_LOGIN_FAILURE_LIMIT=3, PORTAL_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_behind_a_trusted_proxy_each_client_is_counted_apart():
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    for _ in range(3):
        fail_login(Client(), "mallory", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    assert (
        "Too many failed logins"
        in fail_login(Client(), "mallory", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy).text
    )
    other = fail_login(Client(), "bob", HTTP_X_FORWARDED_FOR="198.51.100.7, 10.0.0.9", **proxy)
    assert "Too many failed logins" not in other.text


@override_settings(PORTAL_LOGIN_FAILURE_LIMIT=3, PORTAL_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_forwarded_header_from_an_untrusted_peer_is_ignored():
    for number in range(3):
        fail_login(Client(), HTTP_X_FORWARDED_FOR=f"192.0.2.{number}", REMOTE_ADDR="192.0.2.200")
    response = fail_login(Client(), HTTP_X_FORWARDED_FOR="192.0.2.99", REMOTE_ADDR="192.0.2.200")
    assert "Too many failed logins" in response.text


@override_settings(PORTAL_LOGIN_FAILURE_LIMIT=3)
def test_a_stranger_cannot_lock_a_named_account_for_everyone():
    User.objects.create_superuser("admin", "a@example.com", "right-password-123")
    for _ in range(5):
        fail_login(Client(), REMOTE_ADDR="203.0.113.66")
    response = Client().post(
        "/admin/login/",
        {"username": "admin", "password": "right-password-123"},
        REMOTE_ADDR="198.51.100.1",
    )
    assert response.status_code == 302


def test_the_throttle_fails_closed_when_the_shared_cache_is_down(settings):
    User.objects.create_superuser("admin", "a@example.com", "right-password-123")
    dead = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # discard port: nothing listens
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
    settings.CACHES = {**settings.CACHES, "login-failures": dead}
    response = Client().post(
        "/admin/login/", {"username": "admin", "password": "right-password-123"}
    )
    assert response.status_code == 200
    assert "Sign-in is unavailable for a moment" in response.text
