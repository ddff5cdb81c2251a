"""The caching reverse proxy of docs/deployment.md (deploy/nginx-cache.conf), run for real:
nginx in front of gunicorn, answers stored per catalog version, fresh after an edit."""

from __future__ import annotations

import json

import pytest

from tests.servers import AppServer, CachingProxy, manage, production_env, publisher_token
from tests.test_production import http_put

# The proxied portal has a SQLite file of its own, whatever DATABASE_URL names.
pytestmark = pytest.mark.own_databases

ENTRY = "/api/v1/services/aisafe/errors/404/"
PAGE = "/services/aisafe/errors/404/"


@pytest.fixture
def proxied(tmp_path):
    """An app server on a SQLite file with the demo catalogs, nginx in front of it."""
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
                         DATABASE_CONN_MAX_AGE="60")  # fmt: skip
    manage(env, "migrate", "--no-input")
    manage(env, "load_demo")
    app = AppServer(env, workers=2)
    try:
        proxy = CachingProxy(app.port, tmp_path / "nginx")
    except BaseException:
        app.stop()
        raise
    yield env, app, proxy
    proxy.stop()
    app.stop()


def test_repeated_reads_come_from_the_proxy_and_an_edit_is_seen_at_once(proxied):
    env, app, proxy = proxied
    for path in (ENTRY, PAGE):
        first = proxy.get(path)
        again = proxy.get(path)
        assert first[0] == again[0] == 200
        assert first[1]["X-Cache-Status"] == "MISS"
        assert again[1]["X-Cache-Status"] == "HIT"
        assert again[2] == first[2]

    catalog = json.loads(app.get("/api/v1/services/aisafe/catalog/")[2])
    for item in catalog["errors"]:
        if item["code"] == "404":
            item["title"] = "Gone missing"
    status, _, body = http_put(app.url + "/api/v1/services/aisafe/catalog/",
                               json.dumps(catalog), publisher_token(env))  # fmt: skip
    assert status == 200, body

    status, headers, body = proxy.get(ENTRY)
    assert headers["X-Cache-Status"] == "MISS"
    assert json.loads(body)["title"] == "Gone missing"
    status, headers, body = proxy.get(PAGE)
    assert headers["X-Cache-Status"] == "MISS" and b"Gone missing" in body
    assert proxy.get(ENTRY)[1]["X-Cache-Status"] == "HIT"


def test_requests_with_a_user_are_neither_served_nor_stored_by_the_proxy(proxied):
    _, _, proxy = proxied
    token = {"Authorization": "Token not-a-real-token"}
    assert proxy.get(ENTRY, token)[1]["X-Cache-Status"] == "BYPASS"
    assert proxy.get(ENTRY, {"Cookie": "sessionid=abc"})[1]["X-Cache-Status"] == "BYPASS"
    assert proxy.get(ENTRY)[1]["X-Cache-Status"] == "MISS"


def test_the_cache_key_holds_what_the_answer_varies_by(proxied):
    _, _, proxy = proxied
    json_answer = proxy.get(ENTRY, {"Accept": "application/json"})
    html_answer = proxy.get(ENTRY, {"Accept": "text/html"})
    assert json_answer[1]["X-Cache-Status"] == html_answer[1]["X-Cache-Status"] == "MISS"
    assert proxy.get(ENTRY + "?x=1")[1]["X-Cache-Status"] == "MISS"


def test_the_version_probe_is_terse_and_public(proxied):
    _, app, _ = proxied
    status, headers, body = app.get("/catalog-version")
    assert status == 204 and body == b""
    assert headers["X-Catalog-Version"]
    assert headers["Cache-Control"] == "no-store"


# transaction=True: the probe handles connections as a request does (close_old_connections),
# which would close the connection a test's wrapping transaction holds.
@pytest.mark.django_db(transaction=True)
def test_the_version_probe_is_answered_before_django_and_passes_the_rest_on():
    from errors.catalog_version import catalog_version
    from portal.health import with_version_probe

    seen = []

    def django(environ, start_response):
        seen.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"page"]

    def answer(path):
        started = []
        body = with_version_probe(django)({"PATH_INFO": path}, lambda *a: started.append(a))
        return started[0], b"".join(body)

    (status, headers), body = answer("/catalog-version")
    assert status == "204 No Content" and body == b"" and not seen
    assert ("X-Catalog-Version", catalog_version()) in headers
    assert answer("/catalog-version/")[1] == b"page" and seen == ["/catalog-version/"]
