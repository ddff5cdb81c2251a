"""The portal's MCP server (the official `mcp` SDK): four tools and the catalog as
resources, over standard input/output (`manage.py mcp`) or streamable HTTP (`/mcp/`).

The SDK is asynchronous and the portal is not: each tool runs its plain function from
errors.mcp_server.answers through `sync_to_async(thread_sensitive=True)`, so the ORM
always works in the thread that owns the request's database connection. Who asks, and
the portal's address for html_url, travel in context variables set by the entry point.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from pydantic import Field

from errors.mcp_server import answers

# Who the request is for (drafts are for staff) and the portal's address.
current_user: contextvars.ContextVar[Any] = contextvars.ContextVar("mcp_user")
current_base_url: contextvars.ContextVar[str] = contextvars.ContextVar("mcp_base_url")

INSTRUCTIONS = (
    "The company's error portal: every HTTP API's error codes with status, meaning, "
    "resolution, retry rule and examples. Use lookup_error for a code you saw, "
    "identify_error for a raw error response, search_errors for words, and list_services "
    "for the services. Each answer names the entry's page (html_url) to cite."
)

T = TypeVar("T")


async def _call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a plain catalog function for the current viewer, in the request's thread."""
    kwargs.update(user=current_user.get(AnonymousUser()), base_url=current_base_url.get(""))
    return await sync_to_async(function, thread_sensitive=True)(*args, **kwargs)


async def _tool(function: Callable[..., str], *args: Any, **kwargs: Any) -> str:
    try:
        return await _call(function, *args, **kwargs)
    except answers.ToolProblem as exc:
        raise ToolError(str(exc)) from None


async def _resource(function: Callable[..., str], *args: Any, **kwargs: Any) -> str:
    try:
        return await _call(function, *args, **kwargs)
    except answers.ToolProblem as exc:
        raise ResourceNotFoundError(str(exc)) from None


Service = Annotated[
    str | None,
    Field(description="Only this service (its slug, e.g. sigsentry); list_services names them."),
]


def build_server() -> MCPServer:
    """A new MCP server with the portal's tools and resources."""
    server: MCPServer = MCPServer(
        name="error-portal", title="Error portal", instructions=INSTRUCTIONS
    )

    @server.tool()
    async def lookup_error(
        code: Annotated[
            str,
            Field(
                description="The code as an API sent it, e.g. RATE_LIMITED, rate-limited or "
                "404; case, _, - and spaces do not matter, old names work."
            ),
        ],
        service: Service = None,
    ) -> str:
        """An error code's documentation: status, meaning, resolution, retry rule, examples
        and its page (html_url). Without a service, every service's match."""
        return await _tool(answers.lookup_error, code, service)

    @server.tool()
    async def search_errors(
        query: Annotated[
            str,
            Field(
                description='Words, a code or filters, e.g. "key was revoked" or '
                '"status:429 service:sigsentry".'
            ),
        ],
        service: Service = None,
        status: Annotated[
            int | None, Field(ge=100, le=599, description="Only this HTTP status.")
        ] = None,
        lifecycle: Annotated[
            str | None, Field(description="active, deprecated or removed.")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=answers.MAX_RESULTS)] = 10,
    ) -> str:
        """Search the catalog: the best entries, one line and a link each."""
        return await _tool(
            answers.search_catalog, query, service=service, status=status,
            lifecycle=lifecycle, limit=limit,
        )  # fmt: skip

    @server.tool()
    async def identify_error(
        body: Annotated[
            Any,
            Field(description="The response body: a JSON value, or the raw text."),
        ] = None,
        status: Annotated[int | None, Field(ge=100, le=599, description="The HTTP status.")] = None,
        headers: Annotated[
            dict[str, str] | None,
            Field(description="Response headers; Content-Type says whether text is JSON."),
        ] = None,
        service: Service = None,
    ) -> str:
        """Which documented errors a raw error response is, best first with how sure and
        why, and the best one's documentation."""
        return await _tool(
            answers.identify_response, body, status=status, headers=headers, service=service
        )

    @server.tool()
    async def list_services() -> str:
        """Every service the portal documents, with its code count and page."""
        return await _tool(answers.list_services)

    @server.resource("portal://services", name="services", mime_type="text/markdown")
    async def services() -> str:
        """The services, and how to read the catalog as text."""
        return await _resource(answers.services_resource)

    @server.resource("portal://services/{slug}", name="service", mime_type="application/json")
    async def service(slug: str) -> str:
        """A service and every code it documents."""
        return await _resource(answers.service_resource, slug)

    @server.resource(
        "portal://services/{slug}/errors/{code}", name="error-code", mime_type="text/markdown"
    )
    async def error_code(slug: str, code: str) -> str:
        """One error code's documentation, as Markdown."""
        return await _resource(answers.code_resource, slug, code)

    return server


@functools.cache
def portal_server() -> MCPServer:
    """The process's MCP server (its tools are fixed; the catalog is read per call)."""
    return build_server()
