"""API answers replayed from memory (errors.api.answers): the same bytes as the full
way, fresh after every write, and never to a viewer who may not see them."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from rest_framework.authtoken.models import Token

from errors.api import answers
from errors.models import ErrorCode

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/lookup/?code=NOT_FOUND"
DETAIL = "/api/v1/services/aisafe/errors/404/"
DRAFTS = "/api/v1/services/aisafe/"


def headers_but_request_id(response) -> dict:
    return {name: value for name, value in response.headers.items() if name != "X-Request-ID"}


def replayed(monkeypatch) -> list:
    """Record every answer the store hands out."""
    served = []
    original = answers.Answer.response

    def spy(self, request):
        served.append(request.get_full_path())
        return original(self, request)

    monkeypatch.setattr(answers.Answer, "response", spy)
    return served


@pytest.mark.parametrize("url", [LOOKUP, DETAIL, DRAFTS, "/api/v1/errors/?q=quota"])
def test_a_repeated_read_replays_the_same_bytes_and_headers(
    api, demo, url, monkeypatch, django_assert_num_queries
):
    served = replayed(monkeypatch)
    first = api.get(url)
    with django_assert_num_queries(1):  # the catalog version
        again = api.get(url)
    assert served == [url]
    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert headers_but_request_id(again) == headers_but_request_id(first)
    assert again["X-Request-ID"] != first["X-Request-ID"]
    assert "Content-Security-Policy" in again and again["X-Content-Type-Options"] == "nosniff"


def test_the_next_read_after_a_write_sees_it(api, demo):
    assert api.get(DETAIL).json()["title"] != "Gone fishing"
    ErrorCode.objects.filter(service__slug="aisafe", code="404").update(title="Gone fishing")
    assert api.get(DETAIL).json()["title"] == "Gone fishing"


def test_if_none_match_gets_the_same_304_as_the_full_way(api, demo, monkeypatch):
    served = replayed(monkeypatch)
    etag = api.get(LOOKUP)["ETag"]
    answers.store.clear()
    full_way = api.get(LOOKUP, HTTP_IF_NONE_MATCH=etag)
    api.get(LOOKUP)  # stored again
    replay = api.get(LOOKUP, HTTP_IF_NONE_MATCH=etag)
    assert served == [LOOKUP]
    assert replay.status_code == full_way.status_code == 304
    assert replay.content == full_way.content == b""
    for name in ("ETag", "Cache-Control", "Vary"):
        assert replay[name] == full_way[name]
    assert api.get(LOOKUP, HTTP_IF_NONE_MATCH='W/"other"').status_code == 200


def test_drafts_reach_staff_tokens_only(api, demo, admin_user):
    ErrorCode.objects.filter(service__slug="aisafe", code="400").update(published=False)
    assert api.get(DRAFTS).json()["error_count"] == 8
    token = Token.objects.create(user=admin_user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(DRAFTS).json()["error_count"] == 9
    assert api.get(DRAFTS).json()["error_count"] == 9  # replayed, still staff's
    api.credentials()
    assert api.get(DRAFTS).json()["error_count"] == 8


def test_session_users_go_the_full_way(api, demo, admin_user, monkeypatch):
    served = replayed(monkeypatch)
    ErrorCode.objects.filter(service__slug="aisafe", code="400").update(published=False)
    api.get(DRAFTS)
    api.get(DRAFTS)
    api.force_login(admin_user)
    assert api.get(DRAFTS).json()["error_count"] == 9
    assert served == [DRAFTS]


def test_an_unknown_or_inactive_token_is_refused_even_when_an_answer_is_stored(
    api, demo, django_user_model
):
    api.get(LOOKUP)
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api.get(LOOKUP).status_code == 401
    user = django_user_model.objects.create_user("gone", is_active=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert api.get(LOOKUP).status_code == 401


def test_login_required_refuses_anonymous_callers_a_stored_answer(api, demo, settings, admin_user):
    settings.PORTAL_REQUIRE_LOGIN = True
    token = Token.objects.create(user=admin_user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(LOOKUP).status_code == 200
    assert api.get(LOOKUP).status_code == 200
    api.credentials()
    assert api.get(LOOKUP).status_code == 401


def test_sso_header_goes_the_full_way(api, demo, settings, admin_user, monkeypatch):
    settings.PORTAL_SSO_HEADER = "X-Forwarded-User"
    served = replayed(monkeypatch)
    api.get(LOOKUP)
    api.get(LOOKUP, HTTP_X_FORWARDED_USER=admin_user.username)
    assert served == []


def test_the_rate_limit_counts_replayed_answers(api, demo, settings):
    settings.PORTAL_API_RATE = "3/minute"
    assert [api.get(LOOKUP).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_accept_is_part_of_the_key(api, demo):
    assert api.get(LOOKUP).status_code == 200
    assert api.get(LOOKUP, HTTP_ACCEPT="text/html").status_code == 406


def test_only_catalog_reads_are_stored(api, demo):
    api.get("/api/v1/lookup/?code=")  # a 400 problem
    api.get("/api/v1/services/nope/")  # a 404 problem
    api.get("/api/v1/schema/")  # not a catalog read
    assert answers.store.answers == {}


def test_a_database_outage_goes_the_full_way(api, demo, monkeypatch):
    def unreachable():
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(answers, "catalog_version", unreachable)
    monkeypatch.setattr("errors.api.caching.catalog_version", unreachable)
    response = api.get(LOOKUP)
    assert response.status_code == 503
    assert response["Retry-After"]


def test_the_store_keeps_one_version_within_its_bounds():
    store = answers.AnswerStore(max_answers=2, max_bytes=800)

    def answer(size: int) -> answers.Answer:
        return answers.Answer(b"x" * size, (), "")

    store.put("1", ("a",), answer(10))
    store.put("1", ("b",), answer(10))
    assert store.get("1", ("a",)) is not None  # a is now the most recent
    store.put("1", ("c",), answer(10))
    assert store.get("1", ("b",)) is None and store.get("1", ("a",)) is not None
    store.put("1", ("big",), answer(101))  # over an eighth of the bytes: not kept
    assert store.get("1", ("big",)) is None
    store.put("2", ("d",), answer(10))
    assert store.get("1", ("a",)) is None and list(store.answers) == [("d",)]
    assert store.size == 10


@pytest.mark.django_db(transaction=True)
def test_a_connection_that_died_between_requests_is_replaced_by_the_version_read():
    from django.db import connection, connections

    from errors.catalog_version import _prepared, catalog_version

    if connection.vendor != "postgresql":
        pytest.skip("persistent connections and their health checks are PostgreSQL's")
    version = catalog_version()
    dead = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [dead])
    finally:
        other.close()
    connection.close_if_unusable_or_obsolete()  # what Django does as each request starts
    assert catalog_version() == version
    assert connection.connection.info.backend_pid != dead
    assert _prepared.get(connection.connection.pgconn)  # the new session prepared the read


def test_answers_hold_their_own_host_and_scheme(api, demo, settings):
    settings.ALLOWED_HOSTS = ["testserver", "docs.example"]
    plain = api.get(LOOKUP).json()["results"][0]["html_url"]
    other = api.get(LOOKUP, HTTP_HOST="docs.example").json()["results"][0]["html_url"]
    secure = api.get(LOOKUP, secure=True).json()["results"][0]["html_url"]
    assert plain.startswith("http://testserver/")
    assert other.startswith("http://docs.example/")
    assert secure.startswith("https://testserver/")
    assert api.get(LOOKUP, HTTP_HOST="evil.example").status_code == 400


def test_with_login_required_a_token_is_looked_up_once_per_request(
    api, demo, settings, admin_user, django_assert_num_queries
):
    settings.PORTAL_REQUIRE_LOGIN = True
    token = Token.objects.create(user=admin_user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with django_assert_num_queries(4):  # token (once), version, the entry, its examples
        assert api.get(DETAIL).status_code == 200
    with django_assert_num_queries(2):  # token, version: replayed
        assert api.get(DETAIL).status_code == 200
