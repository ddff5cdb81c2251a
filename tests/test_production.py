"""Production behaviour with real servers: outages of PostgreSQL and Redis, probes,
`check --deploy`, JSON logs. Nothing here is mocked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import psycopg
import pytest

from tests.servers import (
    PG_HOST,
    PG_PORT,
    REDIS_HOST,
    REDIS_PORT,
    ROOT,
    AppServer,
    TcpRelay,
    free_port,
    manage,
    production_env,
    publisher_token,
    require_service,
)

# Each test makes the databases its servers use, whatever DATABASE_URL names.
pytestmark = pytest.mark.own_databases


def env_example() -> dict[str, str]:
    """The variables of .env.example."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


@pytest.fixture
def postgres_database():
    """A fresh PostgreSQL database with the demo catalogs, dropped afterwards."""
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    name = f"portal_outage_{uuid.uuid4().hex[:8]}"
    admin_url = f"postgres://postgres@{PG_HOST}:{PG_PORT}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://postgres@{PG_HOST}:{PG_PORT}/{name}"
    env = production_env(DATABASE_URL=url)
    manage(env, "migrate", "--no-input")
    manage(env, "load_demo")
    yield name
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_database(tmp_path):
    """A SQLite file with the demo catalogs."""
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    env = production_env(DATABASE_URL=url)
    manage(env, "migrate", "--no-input")
    manage(env, "load_demo")
    return url


def test_database_outage_answers_503_then_recovers(postgres_database):
    relay = TcpRelay(PG_HOST, PG_PORT)
    server = AppServer(
        production_env(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{relay.port}/{postgres_database}"
        )
    )
    try:
        assert server.get("/services/sigsentry/")[0] == 200

        relay.cut()
        status, headers, body = server.get("/services/sigsentry/")
        assert status == 503
        assert b"temporarily unavailable" in body
        assert "Traceback" not in body.decode()
        assert headers["Retry-After"] == "5"
        status, _, body = server.get("/readyz")
        assert status == 503
        assert json.loads(body)["database"] == "down"
        assert str(relay.port) not in body.decode()  # the driver's text stays in the log
        assert server.get("/healthz")[0] == 200

        relay.restore()
        assert server.get("/services/sigsentry/")[0] == 200
        assert server.get("/readyz")[0] == 200
    finally:
        server.stop()
        relay.close()


def test_redis_outage_serves_from_the_database_and_logs_it(sqlite_database):
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    server = AppServer(production_env(DATABASE_URL=sqlite_database, REDIS_URL=dead_redis))
    try:
        assert server.get("/services/sigsentry/")[0] == 200
        status, _, body = server.get("/readyz")
        assert status == 200
        assert json.loads(body)["cache"] == "down"
        assert "cache unreachable, serving from the database" in server.output()
    finally:
        server.stop()


def test_readyz_with_real_redis(sqlite_database):
    require_service("Redis", REDIS_HOST, REDIS_PORT)
    server = AppServer(
        production_env(
            DATABASE_URL=sqlite_database, REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
        )
    )
    try:
        status, _, body = server.get("/readyz")
        assert (status, json.loads(body)) == (
            200,
            {"status": "ok", "database": "ok", "cache": "ok"},
        )
    finally:
        server.stop()


def test_env_example_placeholder_key_refuses_to_start():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))}
    env.update(env_example())
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert "placeholder of .env.example" in result.stderr


def test_check_deploy_is_clean_with_env_example():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))}
    env.update(env_example())
    env["DJANGO_SECRET_KEY"] = "an-operator-chosen-random-key-0123456789-abcdefghijklmnopqrstu"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_env_example_lists_every_variable_the_settings_read():
    read = set()
    for path in [ROOT / "portal/settings.py", ROOT / "gunicorn.conf.py"]:
        text = path.read_text()
        for marker in ('os.environ.get("', 'env_bool("', 'env_list("'):
            for part in text.split(marker)[1:]:
                read.add(part.split('"')[0])
    assert read - set(env_example()) == set()


def test_json_logs():
    env = production_env(DJANGO_LOG_FORMAT="json")
    code = "import django, logging; django.setup(); logging.getLogger('portal.x').warning('hi')"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
    )  # fmt: skip
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["message"] == "hi"
    assert record["level"] == "WARNING"
    assert record["logger"] == "portal.x"


# What a worker forked from the master has loaded (portal/warm.py): its first requests of
# each kind import none of the portal's modules nor compile its templates, as before they
# imported the URLconf with the MCP SDK (0.64 s) and compiled each template (50 ms).
FIRST_REQUESTS = """
import json, logging, sys
import portal.wsgi
from django.template import engines
from portal.warm import warm_worker_caches
from errors.search.query import held_vocabulary
warm_worker_caches(logging.getLogger("warm"))
def compiled():
    engine = engines["django"].engine
    caches = [getattr(loader, "get_template_cache", {}) for loader in engine.template_loaders]
    return {key for cache in caches for key in cache}
before, templates = set(sys.modules), compiled()
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
answers = [
    client.get(address).status_code
    for address in ("/", "/services/sigsentry/", "/search/?q=rate+limit",
                    "/api/v1/errors/?q=quota", "/api/v1/lookup/?code=NOT_FOUND")
]
answers.append(client.post("/api/v1/identify/", {"body": {"detail": "Not found."}, "status": 404},
                           content_type="application/json").status_code)
mine = ("errors", "portal", "mcp", "rest_framework", "drf_spectacular", "markdown", "pygments")
print(json.dumps({
    "answers": answers,
    "vocabulary": held_vocabulary() is not None,
    "imported": sorted(name for name in set(sys.modules) - before if name.startswith(mine)),
    "compiled": sorted(str(key) for key in compiled() - templates if "templates/" in str(key)),
}))
"""


def test_a_worker_starts_with_what_its_first_requests_load(sqlite_database):
    """A process warmed as gunicorn's master is before it forks: its first requests of
    each kind load nothing more."""
    env = production_env(DATABASE_URL=sqlite_database)
    result = subprocess.run([sys.executable, "-c", FIRST_REQUESTS], cwd=ROOT, env=env,
                            check=True, capture_output=True, text=True)  # fmt: skip
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["answers"] == [200] * 6
    assert found["vocabulary"]
    assert found["imported"] == []
    assert found["compiled"] == []


PRINT_WORKERS = "import runpy; print(runpy.run_path('gunicorn.conf.py')['workers'])"


def test_gunicorn_config_reads_workers_from_the_environment():
    result = subprocess.run(
        [sys.executable, "-c", PRINT_WORKERS],
        cwd=ROOT, env={**os.environ, "GUNICORN_WORKERS": "7"}, capture_output=True, text=True,
    )  # fmt: skip
    assert result.stdout.strip() == "7"


def test_static_files_are_compressed_and_hashed(tmp_path):
    env = production_env(DJANGO_STATIC_MANIFEST="1", DJANGO_STATIC_ROOT=str(tmp_path))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    hashed = manifest["admin/css/base.css"]
    assert hashed != "admin/css/base.css"
    assert (tmp_path / (hashed + ".gz")).exists()


def test_request_id_is_in_the_response_the_body_and_the_json_log(sqlite_database):
    server = AppServer(production_env(DATABASE_URL=sqlite_database, DJANGO_LOG_FORMAT="json"))
    try:
        status, headers, body = server.get("/api/v1/nothing/", {"X-Request-ID": "trace-42"})
        assert status == 404
        assert headers["X-Request-ID"] == "trace-42"
        assert json.loads(body)["request_id"] == "trace-42"
        records = [
            json.loads(line) for line in server.output().splitlines() if line.startswith("{")
        ]
        assert any(record.get("request_id") == "trace-42" for record in records), records
    finally:
        server.stop()


def test_two_app_servers_share_one_database_and_one_cache(postgres_database):
    """An edit through one app server is what the other serves on its very next request."""
    require_service("Redis", REDIS_HOST, REDIS_PORT)
    two_app_servers_see_each_others_edits(
        production_env(
            DATABASE_URL=f"postgres://postgres@{PG_HOST}:{PG_PORT}/{postgres_database}",
            REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/3",
            DATABASE_CONN_MAX_AGE="60",
        )
    )


def test_two_app_servers_on_one_sqlite_file_with_persistent_connections(sqlite_database):
    """SQLite keeps its connections too (the embedded default's hot path), and stays fresh."""
    two_app_servers_see_each_others_edits(
        production_env(DATABASE_URL=sqlite_database, DATABASE_CONN_MAX_AGE="60")
    )


def two_app_servers_see_each_others_edits(env: dict[str, str]) -> None:
    token = publisher_token(env)
    first, second = AppServer(env), AppServer(env)
    entry = "/api/v1/services/aisafe/errors/404/"
    page = "/services/aisafe/errors/404/"
    try:
        # The second server answers, and caches, the current text.
        assert json.loads(second.get(entry)[2])["title"] == "Not Found"
        assert b"Not Found" in second.get(page)[2]
        status, headers, _ = second.get(entry)
        etag = headers["ETag"]

        # identify's matchers were built in the master, before it forked the worker.
        assert "identify's matchers built for 6 services" in second.output()
        assert best_identified(second, "The wombat is not in its burrow") != "404"

        catalog = json.loads(first.get("/api/v1/services/aisafe/catalog/")[2])
        for item in catalog["errors"]:
            if item["code"] == "404":
                item["title"] = "Gone missing"
                item["messages"] = ["The wombat is not in its burrow"]
        status, _, body = http_put(
            first.url + "/api/v1/services/aisafe/catalog/", json.dumps(catalog), token
        )
        assert status == 200, body
        assert json.loads(body)["changed"] == ["404"]

        status, headers, body = second.get(entry, {"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag
        assert json.loads(body)["title"] == "Gone missing"
        assert b"Gone missing" in second.get(page)[2]
        assert json.loads(first.get(entry)[2])["title"] == "Gone missing"
        # The other server's worker rebuilt AISafe's matcher, the only one written.
        assert best_identified(second, "The wombat is not in its burrow") == "404"
    finally:
        first.stop()
        second.stop()


def best_identified(server: AppServer, message: str) -> str | None:
    """The code that `server` identifies an AISafe body holding `message` as, if any."""
    request = urllib.request.Request(
        server.url + "/api/v1/identify/",
        data=json.dumps({"service": "aisafe", "body": {"detail": message}}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        found = json.loads(response.read())
    confident = [item for item in found["results"] if item["confidence"] >= 0.8]
    return confident[0]["code"] if confident else None


def http_put(url: str, body: str, token: str) -> tuple[int, dict, bytes]:
    """PUT a JSON body with an API token."""
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="PUT",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()
