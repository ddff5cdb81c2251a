"""The id of the request being served, for log lines. Kept free of Django models: the
logging configuration loads this module before the apps are ready."""

from __future__ import annotations

import contextvars
import logging

from django.core.signals import request_finished

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def _forget(**_kwargs) -> None:
    current_request_id.set("-")


request_finished.connect(_forget, dispatch_uid="forget-request-id")


class RequestIdLogFilter(logging.Filter):
    """Give every log record the id of the request being served (`-` outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True
