"""`/mcp/`: the MCP server over streamable HTTP, with the API's login rules.

The view is an API view for its policies (API tokens or sessions, PORTAL_REQUIRE_LOGIN,
the rate limit, problems for refusals); what crosses it is the SDK's JSON-RPC, answered
by errors.mcp_server.transports in stateless JSON-response mode.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request

from errors.api.renderers import AnyAcceptNegotiation
from errors.api.views import ApiView
from errors.mcp_server.transports import HttpExchange, serve_http

# Headers Django computes for the answer itself.
HOP_HEADERS = {"content-length", "connection", "transfer-encoding"}


class McpView(ApiView):
    content_negotiation_class = AnyAcceptNegotiation
    parser_classes = []  # the SDK reads the body itself

    def serve(self, request: Request) -> HttpResponse:
        """Hand the request to the SDK and answer what it answers."""
        exchange = HttpExchange(
            method=request.method or "POST",
            path=request.path,
            headers=list(request.headers.items()),
            body=request.body,
            scheme=request.scheme or "http",
            query_string=request.META.get("QUERY_STRING", ""),
            client=(request.META.get("REMOTE_ADDR") or "127.0.0.1", 0),
        )
        serve_http(exchange, user=request.user, base_url=request.build_absolute_uri("/"))
        response = HttpResponse(exchange.answer, status=exchange.status)
        for name, value in exchange.answer_headers:
            if name.lower() not in HOP_HEADERS:
                response[name] = value
        return response

    @extend_schema(exclude=True)
    def post(self, request: Request) -> HttpResponse:
        return self.serve(request)

    @extend_schema(exclude=True)
    def get(self, request: Request) -> HttpResponse:
        return self.serve(request)  # stateless: the SDK says there is no stream to open

    @extend_schema(exclude=True)
    def delete(self, request: Request) -> HttpResponse:
        return self.serve(request)
