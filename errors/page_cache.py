"""Rendered pages kept in the shared cache under the catalog version.

A page reads only the catalog, so its HTML changes only when the catalog does: the key
holds the catalog version (errors.catalog_version), and any write anywhere retires every
cached page on every app server at once. Staff see drafts and edit links, so their pages
are always rendered.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from errors.catalog_version import catalog_version
from errors.querysets import can_see_drafts

PAGE_SECONDS = 3600


def page_key(request: HttpRequest, refresh_seconds: int = 0) -> str | None:
    """The cache key of this request's page, or None when it must be rendered.

    The cached pages read no query parameter, so the key holds the path alone: 2,000
    requests with `?utm=N` share one entry instead of adding 2,000 (issue 13).
    `refresh_seconds`: the page also shows what changes without the catalog (the drift
    line of a code page), so its key changes at least that often."""
    if request.method not in ("GET", "HEAD"):
        return None
    if can_see_drafts(request.user):
        return None
    period = f":{int(time.time() // refresh_seconds)}" if refresh_seconds else ""
    path = hashlib.blake2b(request.path.encode(errors="surrogatepass"), digest_size=16)
    return (
        f"page:{request.scheme}:{request.get_host()}:{catalog_version()}{period}:{path.hexdigest()}"
    )


def cached_page(
    view: Callable[..., HttpResponse], *, refresh_seconds: int = 0
) -> Callable[..., HttpResponse]:
    """Serve the view's 200 answers from the cache while the catalog is unchanged (and,
    with `refresh_seconds`, for at most that long); the view must read no query parameter
    (they are not part of the key)."""

    @functools.wraps(view)
    def serve(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = page_key(request, refresh_seconds)
        if key is not None:
            stored = cache.get(key)
            if stored is not None:
                content, content_type = stored
                return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if key is not None and response.status_code == 200 and not response.streaming:
            cache.set(key, (response.content, response["Content-Type"]), PAGE_SECONDS)
        return response

    return serve


def cached_page_refreshed(
    seconds: int,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """cached_page for pages that also show live counts: rendered again every `seconds`."""
    return functools.partial(cached_page, refresh_seconds=seconds)
