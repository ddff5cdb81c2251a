"""The bodies the API reads: JSON documents, and catalog files as text (YAML or JSON, by
Content-Type), refused with a problem that says what to fix."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser

from errors.api.exceptions import Problem


def read_limited(stream: IO[Any] | None) -> bytes:
    """The whole body, refused with a 413 past DATA_UPLOAD_MAX_MEMORY_SIZE: DRF's parsers
    read the stream directly, which Django's own limit does not see."""
    if stream is None:
        return b""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    data: bytes = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise Problem(
            "body_too_large",
            f"The request body is over {limit:,} bytes, the most the portal reads: split a "
            "catalog by service, or import it with manage.py import_catalog.",
        )
    return data


class ApiJsonParser(JSONParser):
    """JSON bodies; one nested deeper than Python's parser goes is a 400, not a 500."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            return super().parse(io.BytesIO(read_limited(stream)), media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc


class CatalogTextParser(BaseParser):
    """A catalog file as text; `errors.catalog` reads both YAML and JSON."""

    media_type = "application/yaml"

    # DRF's parsers may return any data; a catalog is read as text by errors.catalog.
    def parse(  # type: ignore[override]  # the stubs allow only mappings; DRF allows any data
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> str:
        data = read_limited(stream)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Problem(
                "catalog_invalid", f"The catalog is not UTF-8 text ({exc.reason}): re-encode it."
            ) from exc


class CatalogJsonTextParser(CatalogTextParser):
    media_type = "application/json"


class CatalogXYamlTextParser(CatalogTextParser):
    media_type = "application/x-yaml"


class CatalogTextYamlParser(CatalogTextParser):
    media_type = "text/yaml"


class IdentifyTextParser(BaseParser):
    """A raw error body as text (`text/plain`, and so an HTML error page): identify reads
    it as the text it is, never as JSON."""

    media_type = "text/plain"

    def parse(  # type: ignore[override]  # the stubs allow only mappings; DRF allows any data
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> str:
        data = stream.read() if stream is not None else b""
        return data.decode("utf-8", "replace")


class IdentifyHtmlParser(IdentifyTextParser):
    media_type = "text/html"


# The media types a catalog file (or an OpenAPI spec) is sent as: its text, read once.
CATALOG_TEXT_PARSERS: list[type[BaseParser]] = [
    CatalogTextParser,
    CatalogJsonTextParser,
    CatalogXYamlTextParser,
    CatalogTextYamlParser,
]
