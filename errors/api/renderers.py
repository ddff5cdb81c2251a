"""How the API writes its answers: JSON, and catalogs as YAML when asked."""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request


class ApiJsonRenderer(JSONRenderer):
    """JSON with non-ASCII escaped: any text a caller sent (even a lone surrogate that
    JSON allows as an escape) can be echoed back without failing to encode."""

    ensure_ascii = True


class YamlRenderer(ApiJsonRenderer):
    """Lets `Accept: application/yaml` through content negotiation for catalogs."""

    media_type = "application/yaml"
    format = "yaml"


class AnyAcceptNegotiation(BaseContentNegotiation):
    """For answers that are not rendered by DRF (generated source, MCP's JSON-RPC): any
    Accept gets through, and problems are rendered as JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type
