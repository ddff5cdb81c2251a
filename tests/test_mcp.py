"""The MCP server, driven by the SDK's own client over both transports: `manage.py mcp`
on standard input/output, and /mcp/ served by gunicorn as in production, with the API's
login rules (here PORTAL_REQUIRE_LOGIN=1 and an API token)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextResourceContents

from tests.servers import ROOT, AppServer, manage, production_env

STDIO_BASE_URL = "https://errors.example.com"
TOOLS = {"lookup_error", "search_errors", "identify_error", "list_services"}


@pytest.fixture(scope="module")
def portal_env(tmp_path_factory):
    """A SQLite file with the demo catalogs and a reader's API token."""
    path = tmp_path_factory.mktemp("mcp") / "portal.sqlite3"
    env = production_env(DATABASE_URL=f"sqlite:///{path}")
    manage(env, "migrate", "--no-input")
    manage(env, "load_demo")
    script = (
        "from django.contrib.auth.models import User;"
        "from rest_framework.authtoken.models import Token;"
        "print(Token.objects.create(user=User.objects.create_user('assistant')).key)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    env["TEST_TOKEN"] = result.stdout.strip().splitlines()[-1]
    return env


@pytest.fixture(scope="module")
def login_portal(portal_env):
    """gunicorn serving that database, with login required."""
    server = AppServer({**portal_env, "PORTAL_REQUIRE_LOGIN": "1"})
    yield server
    server.stop()


def run(main) -> None:
    """Run an async test body in a thread of its own: a session fixture (Playwright's)
    may keep an event loop running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(anyio.run, main).result()


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content)


async def read_text(client: Client, uri: str) -> str:
    """A resource's text."""
    (content,) = (await client.read_resource(uri)).contents
    assert isinstance(content, TextResourceContents), content
    return content.text


async def exercise(client: Client, base_url: str) -> None:
    """Real answers, bad arguments and an unknown code, through one connected client."""
    tools = await client.list_tools()
    assert {tool.name for tool in tools.tools} == TOOLS

    found = await client.call_tool("lookup_error", {"code": "rate-limited", "service": "sigsentry"})
    assert not found.is_error
    answer = text_of(found)
    assert answer.startswith("RATE_LIMITED  [SigSentry]  HTTP 429 Too Many Requests")
    assert f"Page: {base_url}/services/sigsentry/errors/RATE_LIMITED/" in answer

    unknown = await client.call_tool(
        "lookup_error", {"code": "RATE_LIMITTED", "service": "sigsentry"}
    )
    assert unknown.is_error
    assert "No error code 'RATE_LIMITTED'" in text_of(unknown)
    assert "RATE_LIMITED (sigsentry)" in text_of(unknown)

    no_service = await client.call_tool("lookup_error", {"code": "X", "service": "nope"})
    assert no_service.is_error
    assert "There is no service 'nope'. Services: aisafe," in text_of(no_service)

    bad = await client.call_tool("search_errors", {"query": "rate", "limit": 0})
    assert bad.is_error
    assert "limit" in text_of(bad)
    missing = await client.call_tool("search_errors", {})
    assert missing.is_error
    assert "query" in text_of(missing)

    search = await client.call_tool("search_errors", {"query": "key was revoked"})
    assert "API_KEY_REVOKED [sigsentry] HTTP 401" in text_of(search)

    body = {"error": {"code": "API_KEY_REVOKED", "message": "This key was revoked"}}
    identified = await client.call_tool("identify_error", {"status": 401, "body": body})
    assert not identified.is_error
    assert (
        text_of(identified)
        .split("\n")[0]
        .endswith("API_KEY_REVOKED [sigsentry] HTTP 401: API key revoked")
    )

    services = text_of(await client.call_tool("list_services", {}))
    assert "- sigsentry: SigSentry (30 codes)" in services
    assert f"{base_url}/services/sigsentry/" in services

    templates = await client.list_resource_templates()
    assert {template.uri_template for template in templates.resource_templates} == {
        "portal://services/{slug}",
        "portal://services/{slug}/errors/{code}",
    }
    code = await read_text(client, "portal://services/sigsentry/errors/rate-limited")
    assert code.startswith("# RATE_LIMITED: Rate limited\n")
    service = json.loads(await read_text(client, "portal://services/aisafe"))
    assert [entry["code"] for entry in service["codes"]][:2] == ["400", "401"]
    assert "(`elder-signals`, 22 codes)" in await read_text(client, "portal://services")


def test_stdio(portal_env):
    params = StdioServerParameters(
        command=sys.executable,
        args=["manage.py", "mcp", "--base-url", STDIO_BASE_URL],
        env=portal_env,
        cwd=str(ROOT),
    )

    async def main() -> None:
        async with Client(params) as client:
            await exercise(client, STDIO_BASE_URL)

    run(main)


def test_streamable_http_with_a_token(login_portal, portal_env):
    headers = {"Authorization": f"Token {portal_env['TEST_TOKEN']}"}

    async def main() -> None:
        http = httpx2.AsyncClient(headers=headers, timeout=30)
        async with (
            http,
            Client(streamable_http_client(f"{login_portal.url}/mcp/", http_client=http)) as client,
        ):
            await exercise(client, login_portal.url)

    run(main)


def test_streamable_http_refuses_a_caller_without_login(login_portal):
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    request = urllib.request.Request(
        f"{login_portal.url}/mcp/",
        data=json.dumps(message).encode(),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["title"]
