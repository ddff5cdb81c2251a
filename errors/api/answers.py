"""API answers served from memory, before Django's middleware and DRF get to work.

A read of the catalog (a lookup, a code, a service, a search) changes only when the
catalog does. `CachedReadView` already keeps each answer in the shared cache under the
catalog version, but serving it still runs sessions, CSRF, authentication, content
negotiation, throttling and rendering: most of the cost of a repeated read.
`AnswerMiddleware` sits beside WhiteNoise and replays the rendered answer instead, from a
small in-process store keyed by the catalog version:

- freshness: the version is read from the database on every request (one primary-key
  query; triggers bump it inside every write), so the first read after a write on any
  app server misses and goes the full way;
- who may see what: only requests whose viewer is known without sessions are served,
  anonymous callers (unless the portal requires login) and `Authorization: Token` ones;
  the key holds whether the viewer is staff (staff see drafts). Session cookies, other
  credentials and the single sign-on header go the full way;
- the answer is the same bytes and headers the full way produced for the same key
  (method GET, scheme, host, path and query, Accept), 304 included for If-None-Match;
- PORTAL_API_RATE still counts every request served here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from rest_framework.exceptions import AuthenticationFailed

from errors.api.authentication import RequestTokenAuthentication
from errors.api.throttling import ClientRateThrottle
from errors.catalog_version import catalog_version
from errors.querysets import can_see_drafts
from errors.versioned_cache import VersionedLru

API_PREFIX = "/api/v1/"
# Where the version read for a request is kept for the view (errors.api.caching).
VERSION_KEY = "portal.catalog_version"
# The in-process store, per worker: at most this many answers and bytes.
MAX_ANSWERS = 4096
MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Viewer:
    """Who asks, as far as an answer depends on it."""

    staff: bool
    user_id: int | None = None


@dataclass(frozen=True)
class Answer:
    """A rendered 200 answer: its body and the headers the full way gave it."""

    content: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str

    @classmethod
    def of(cls, response: HttpResponse) -> Answer:
        headers = tuple(response.headers.items())
        return cls(bytes(response.content), headers, response.headers.get("ETag", ""))

    def response(self, request: HttpRequest) -> HttpResponse:
        """The answer again, or 304 (Django's, with the headers it keeps) when the
        caller's copy is this one: only If-None-Match counts, as on the full way
        (errors.api.caching.is_current)."""
        response = HttpResponse(self.content)
        for name, value in self.headers:
            response[name] = value
        if self.etag and request.META.get("HTTP_IF_NONE_MATCH"):
            conditional = get_conditional_response(request, etag=self.etag, response=response)
            if conditional is not None and conditional.status_code == 304:
                return conditional
        return response


class AnswerStore(VersionedLru[tuple, Answer]):
    """Rendered answers of one catalog version, least recently used dropped first."""

    def __init__(self, max_answers: int = MAX_ANSWERS, max_bytes: int = MAX_BYTES):
        super().__init__(max_answers, max_bytes, size_of=lambda answer: len(answer.content))
        self.max_bytes = max_bytes

    @property
    def answers(self) -> dict[tuple, Answer]:
        """The answers held, least recently used first."""
        return self.values

    def put(self, version: str, key: tuple, answer: Answer) -> None:
        if len(answer.content) > self.max_bytes // 8:
            return  # a whole catalog export: not worth crowding out a thousand lookups
        super().put(version, key, answer)


store = AnswerStore()


def viewer_of(request: HttpRequest) -> Viewer | None:
    """The viewer, when it is known without sessions; None sends the request the full way."""
    meta = request.META
    if getattr(request, "_force_auth_user", None) or getattr(request, "_force_auth_token", None):
        return None  # DRF's test client chose the user: only DRF knows it
    if settings.PORTAL_SSO_HEADER and _sso_header(settings.PORTAL_SSO_HEADER) in meta:
        return None
    if "HTTP_COOKIE" in meta and settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    if not meta.get("HTTP_AUTHORIZATION"):
        return None if settings.PORTAL_REQUIRE_LOGIN else Viewer(staff=False)
    return token_viewer(request)


def token_viewer(request: HttpRequest) -> Viewer | None:
    """The active user behind an `Authorization: Token` header (DRF's rule, looked up
    once for the whole request), or None for the full way."""
    try:
        found = RequestTokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return Viewer(staff=can_see_drafts(found[0]), user_id=found[0].pk) if found else None


def _sso_header(name: str) -> str:
    return "HTTP_" + name.upper().replace("-", "_")


def answer_key(request: HttpRequest, viewer: Viewer) -> tuple:
    """Everything the full way's bytes depend on, but the catalog version.

    The raw request values behind scheme, host and full path (answers hold absolute
    URLs): cheaper than `get_host()` and `get_full_path()`, and never coarser. A host that
    Django refuses is answered 400 the full way, so no answer is ever stored under it.
    """
    meta = request.META
    return (
        meta.get("wsgi.url_scheme"),
        meta.get("HTTP_X_FORWARDED_PROTO"),
        meta.get("HTTP_X_FORWARDED_HOST"),
        meta.get("HTTP_HOST"),
        meta.get("SERVER_NAME"),
        meta.get("SERVER_PORT"),
        request.path,
        meta.get("QUERY_STRING", ""),
        meta.get("HTTP_ACCEPT", ""),
        viewer.staff,
    )


def within_rate(request: HttpRequest, viewer: Viewer) -> bool:
    """Count this request against PORTAL_API_RATE as DRF's throttle would; False when
    the client is over it (the full way then answers 429)."""
    if not settings.PORTAL_API_RATE:
        return True
    user = SimpleNamespace(is_authenticated=viewer.user_id is not None, pk=viewer.user_id)
    client = SimpleNamespace(user=user, META=request.META, headers=request.headers)
    # A stand-in for DRF's request with what the throttle reads: no view is involved.
    return ClientRateThrottle().allow_request(client, None)  # type: ignore[arg-type]


def is_storable(response: HttpResponse) -> bool:
    """A 200 catalog read (CachedReadView marks them) that sets no cookie."""
    return (
        response.status_code == 200
        and getattr(response, "portal_catalog_read", False)
        and not response.streaming
        and not response.cookies
    )


class AnswerMiddleware:
    """Replay stored API answers; store the ones the full way marks as catalog reads."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            viewer = viewer_of(request)
            version = catalog_version() if viewer is not None else ""
        except DatabaseError:
            return self.get_response(request)  # the full way answers the outage
        if viewer is None:
            return self.get_response(request)
        request.META[VERSION_KEY] = version
        key = answer_key(request, viewer)
        answer = store.get(version, key)
        if answer is not None and within_rate(request, viewer):
            return answer.response(request)
        response = self.get_response(request)
        if is_storable(response):
            store.put(version, key, Answer.of(response))
        return response
