"""Request ids: one per request, taken from a sane X-Request-ID or made, echoed in the
response, in problem details and in every log line the request causes.

Kept free of Django models: the logging configuration loads this module before the apps
are ready."""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def _forget(**_kwargs: Any) -> None:
    current_request_id.set("-")


request_finished.connect(_forget, dispatch_uid="forget-request-id")


class RequestIdLogFilter(logging.Filter):
    """Give every log record the id of the request being served (`-` outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


def sent_request_id(request: HttpRequest) -> str:
    """The caller's X-Request-ID when it is sane (printable ASCII, at most 200
    characters), else a new id."""
    sent = request.META.get("HTTP_X_REQUEST_ID", "")
    sane = sent and len(sent) <= 200 and sent.isascii() and sent.isprintable()
    return sent if sane else uuid.uuid4().hex


class RequestIdMiddleware:
    """Give every request an id (`request.request_id`) and send it back as X-Request-ID.

    Problem details carry the same id, so a report quoting it finds the log line.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = request.request_id = sent_request_id(request)  # type: ignore[attr-defined]
        # Kept until the request is finished: Django logs a 4xx or 5xx after the
        # middleware has returned, and that line needs the id too.
        current_request_id.set(value)
        response = self.get_response(request)
        response["X-Request-ID"] = value
        return response
