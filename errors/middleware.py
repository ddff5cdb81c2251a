"""Request ids: one per request, taken from X-Request-ID or made, echoed in the response
and written into every log line the request causes."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from errors.api.problems import request_id
from errors.request_ids import current_request_id


class RequestIdMiddleware:
    """Give every request an id (`request.request_id`) and send it back as X-Request-ID.

    Problem details carry the same id, so a report quoting it finds the log line.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = request_id(request)
        # Kept until the request is finished (see errors.request_ids): Django logs a 4xx
        # or 5xx after the middleware has returned, and that line needs the id too.
        current_request_id.set(value)
        response = self.get_response(request)
        response["X-Request-ID"] = value
        return response
