"""How the API writes its answers: JSON, and catalogs as YAML when asked."""

from __future__ import annotations

from rest_framework.renderers import JSONRenderer


class ApiJsonRenderer(JSONRenderer):
    """JSON with non-ASCII escaped: any text a caller sent (even a lone surrogate that
    JSON allows as an escape) can be echoed back without failing to encode."""

    ensure_ascii = True


class YamlRenderer(ApiJsonRenderer):
    """Lets `Accept: application/yaml` through content negotiation for catalogs."""

    media_type = "application/yaml"
    format = "yaml"
