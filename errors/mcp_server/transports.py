"""The MCP server's two transports: standard input/output, and one streamable HTTP
exchange answered from a WSGI request.

The portal runs under WSGI (gunicorn's sync workers), and the SDK's HTTP transport is an
ASGI app. Each POST to /mcp/ is served in the SDK's stateless JSON-response mode: a fresh
session manager per request, one JSON-RPC message in and one JSON answer out, no session
to keep between requests. So any app server can answer any request, as for the API.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio
from asgiref.sync import async_to_sync
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from errors.mcp_server.server import current_base_url, current_user, portal_server

# Django checks the Host header (ALLOWED_HOSTS) before the request gets here.
NO_HOST_CHECK = TransportSecuritySettings(enable_dns_rebinding_protection=False)


def run_stdio(base_url: str, user: Any) -> None:
    """Serve MCP on standard input/output until the client closes it."""
    current_base_url.set(base_url)
    current_user.set(user)
    async_to_sync(portal_server().run_stdio_async)()


@dataclass
class HttpExchange:
    """One HTTP request to the MCP endpoint, and the answer once served."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    scheme: str = "http"
    query_string: str = ""
    client: tuple[str, int] = ("127.0.0.1", 0)
    status: int = 500
    answer_headers: list[tuple[str, str]] = field(default_factory=list)
    answer: bytes = b""

    def scope(self) -> dict[str, Any]:
        """The ASGI scope of the request."""
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": self.method,
            "scheme": self.scheme,
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": self.query_string.encode("latin-1"),
            "root_path": "",
            "headers": [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in self.headers
            ],
            "client": self.client,
            "server": None,
        }


def serve_http(exchange: HttpExchange, *, user: Any, base_url: str) -> HttpExchange:
    """Answer one streamable-HTTP request with the SDK (stateless, JSON responses)."""

    async def handle() -> None:
        finished = anyio.Event()
        body_sent = False

        async def receive() -> dict[str, Any]:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": exchange.body, "more_body": False}
            await finished.wait()  # the caller stays connected until the answer is complete
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.answer_headers = [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in message.get("headers", [])
                ]
            elif message["type"] == "http.response.body":
                exchange.answer += message.get("body", b"")
                if not message.get("more_body"):
                    finished.set()

        # A session manager serves the SDK's low-level server, which MCPServer wraps.
        manager = StreamableHTTPSessionManager(
            app=portal_server()._lowlevel_server,
            json_response=True,
            stateless=True,
            security_settings=NO_HOST_CHECK,
        )
        async with manager.run():
            await manager.handle_request(exchange.scope(), receive, send)
        finished.set()

    user_token = current_user.set(user)
    url_token = current_base_url.set(base_url)
    try:
        async_to_sync(handle)()
    finally:
        current_user.reset(user_token)
        current_base_url.reset(url_token)
    return exchange
