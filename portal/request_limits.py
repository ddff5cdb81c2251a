"""Requests refused or completed before any view sees them (issue 13).

Request bodies sent with `Transfer-Encoding: chunked` (no Content-Length): Django reads
such a body as empty, so a chunked catalog was published as nothing. When the server has
decoded the chunks (gunicorn says so with `wsgi.input_terminated`), the body is read here,
at most one byte past the size limit, and handed on with its length like any other."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from errors.api.problems import is_api_request, problem_response


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
            request._stream = io.BytesIO(data)
        return self.get_response(request)


class NulCharacterMiddleware:
    """Refuse a NUL in the address or a query parameter with a 400 that says so: no page
    or search needs one, and PostgreSQL refuses it in text (a 500 for everyone who sent
    it, on the search, the code pages and the API alike)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = ""
        if "\x00" in request.path:
            where = "the address"
        else:
            for name, values in request.GET.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    where = f"the parameter {name.replace(chr(0), '')!r}"
                    break
        if not where:
            return self.get_response(request)
        detail = f"{where[0].upper()}{where[1:]} holds a NUL character (%00): remove it."
        if is_api_request(request):
            return problem_response(request, "invalid_parameter", detail)
        return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
