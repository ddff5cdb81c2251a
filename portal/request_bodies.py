"""Request bodies sent with `Transfer-Encoding: chunked` (no Content-Length): Django reads
such a body as empty, so a chunked catalog was published as nothing. When the server has
decoded the chunks (gunicorn says so with `wsgi.input_terminated`), the body is read here,
at most one byte past the size limit, and handed on with its length like any other."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ChunkedBodyMiddleware:
    """Give a chunked request body a Content-Length so every parser reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and meta.get("wsgi.input_terminated") and not meta.get("CONTENT_LENGTH"):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
            # The parsers and request.body refuse anything past the limit with a 413.
            data = meta["wsgi.input"].read(limit + 1) if limit else meta["wsgi.input"].read()
            meta["CONTENT_LENGTH"] = str(len(data))
            request._stream = io.BytesIO(data)  # type: ignore[attr-defined]
        return self.get_response(request)
