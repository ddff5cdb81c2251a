"""Caching the API's reads: every read's answer changes only with the catalog, so its
ETag is built from the catalog version, a caller's current copy gets 304 (Django's own
`get_conditional_response`), and the answer is kept in the shared cache under the ETag.
errors.api.answers replays them earlier still, from each worker's memory."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, Protocol

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.cache import get_conditional_response
from rest_framework.request import Request
from rest_framework.response import Response

from errors.api.answers import VERSION_KEY
from errors.catalog_version import catalog_version
from errors.querysets import can_see_drafts


class AnswerKeyed(Protocol):
    """A read view that knows the cache key of its answer (errors.api.views.CachedReadView)."""

    answer_key: str | None


# How long an answer stays in the cache; the catalog version in its key retires it sooner.
ANSWER_SECONDS = 3600


def catalog_etag(request: Request) -> str:
    """A weak ETag of the catalog version, what was asked and whether drafts are shown."""
    # AnswerMiddleware has read the version for this request already when it ran.
    version = request.META.get(VERSION_KEY) or catalog_version()
    raw = f"{version}|{request.get_full_path()}|{can_see_drafts(request.user)}"
    return 'W/"' + hashlib.blake2b(raw.encode(), digest_size=12).hexdigest() + '"'


def is_current(request: HttpRequest, etag: str) -> bool:
    """Whether the caller's copy (If-None-Match) is this one, so a 304 answers it.

    `If-None-Match: *` names no copy: it matches any answer, an error too, so it is left
    for `answers_any` to judge once the answer is known to be a 200."""
    if answers_any(request):
        return False
    response = get_conditional_response(request, etag=etag)
    return response is not None and response.status_code == 304


def answers_any(request: HttpRequest) -> bool:
    """Whether If-None-Match is `*`: any current answer (a 200) will do for the caller."""
    given: str = request.META.get("HTTP_IF_NONE_MATCH", "")
    return given.strip() == "*"


def cached_answer(get: Callable[..., Response]) -> Callable[..., Response]:
    """Serve a read from the shared cache when the catalog has not changed since it was
    answered: the key holds the catalog version, so any write makes it unreachable."""

    @functools.wraps(get)
    def answer(self: AnswerKeyed, request: Request, *args: Any, **kwargs: Any) -> Response:
        if self.answer_key:
            data = cache.get(self.answer_key)
            if data is not None:
                return Response(data)
        response = get(self, request, *args, **kwargs)
        if self.answer_key and response.status_code == 200:
            cache.set(self.answer_key, response.data, ANSWER_SECONDS)
        return response

    return answer
