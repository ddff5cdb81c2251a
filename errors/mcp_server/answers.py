"""What the MCP tools and resources answer, as plain functions over the catalog: each
returns text (the entry's text and its html_url) or raises ToolProblem with a message
that says what to fix. errors.mcp_server.server wraps them for the SDK."""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse

from errors import identify as identification
from errors.code_counts import counted_services
from errors.explain import explain_one
from errors.lookup import UnknownService, find_code, find_codes, find_service, nearest_codes
from errors.models import ErrorCode, Service
from errors.search.execute import search_errors
from errors.search.query import QueryError, parse_query
from errors.text_pages import code_markdown, llms_txt

MAX_RESULTS = 50


class ToolProblem(ValueError):
    """A tool's arguments name nothing, or are not what it takes: the message says why."""


def _absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def _known_services() -> str:
    return ", ".join(Service.objects.order_by("slug").values_list("slug", flat=True))


def _entry_line(error: ErrorCode, base_url: str) -> str:
    status = f"HTTP {error.http_status}" if error.http_status else "no HTTP status"
    return (
        f"- {error.code} [{error.service.slug}] {status}: {error.title}\n"
        f"  {_absolute(base_url, error.get_absolute_url())}"
    )


def lookup_error(code: str, service: str | None, *, user: Any, base_url: str) -> str:
    """Every entry `code` names (case, separators and old names ignored), in full."""
    if not code.strip():
        raise ToolProblem("code is empty: give a code such as RATE_LIMITED, rate-limited or 404.")
    try:
        found = find_codes(code.strip(), service=service or None, user=user, whole=True)
    except UnknownService:
        raise ToolProblem(
            f"There is no service {service!r}. Services: {_known_services()}."
        ) from None
    if not found:
        near = nearest_codes(code, service=service or "", user=user)
        hint = (
            " Did you mean: "
            + ", ".join(f"{error.code} ({error.service.slug})" for error in near)
            + "?"
            if near
            else ""
        )
        raise ToolProblem(f"No error code {code!r} in the catalog.{hint}")
    return "\n\n".join(explain_one(error, base_url=base_url) for error in found)


def search_catalog(
    query: str,
    *,
    service: str | None,
    status: int | None,
    lifecycle: str | None,
    limit: int,
    user: Any,
    base_url: str,
) -> str:
    """The best entries for words, a code or filters, one line and a link each."""
    if not 1 <= limit <= MAX_RESULTS:
        raise ToolProblem(f"limit must be from 1 to {MAX_RESULTS}, not {limit}.")
    if service and find_service(service) is None:
        raise ToolProblem(f"There is no service {service!r}. Services: {_known_services()}.")
    try:
        parsed = parse_query(query, service=service, status=status, lifecycle=lifecycle)
        results = search_errors(parsed, user=user, per_page=limit)
    except QueryError as exc:
        raise ToolProblem(str(exc)) from None
    if not results.hits:
        return f"Nothing in the catalog matches {query!r}."
    more = results.total - len(results.hits)
    lines = [_entry_line(hit.error, base_url) for hit in results.hits]
    if more > 0:
        lines.append(f"({more} more: narrow the query or raise limit.)")
    return "\n".join(lines)


def identify_response(
    body: Any,
    *,
    status: int | None,
    headers: dict[str, str] | None,
    service: str | None,
    user: Any,
    base_url: str,
) -> str:
    """Which entries a raw error response is, best first, and the best one in full."""
    content_type = {name.lower(): value for name, value in (headers or {}).items()}.get(
        "content-type", ""
    )
    if isinstance(body, str) and content_type and "json" not in content_type:
        body = identification.PlainText(body)
    try:
        found = identification.identify(body, status=status, service=service or None, user=user)
    except UnknownService:
        raise ToolProblem(
            f"There is no service {service!r}. Services: {_known_services()}."
        ) from None
    if not found:
        raise ToolProblem(
            "No code of the catalog matches this response: give its HTTP status, the whole "
            "body, or the service that sent it."
        )
    lines = [
        f"{match.confidence:.0%} {_entry_line(match.error, base_url)[2:]}\n  why: {match.reason}"
        for match in found
    ]
    best = find_code(found[0].error.service.slug, found[0].error.code, user=user)
    if best is not None:
        lines += ["", explain_one(best.error, base_url=base_url)]
    return "\n".join(lines)


def list_services(*, user: Any, base_url: str) -> str:
    """Every service with its code count, summary and page."""
    services = counted_services(user, Service.objects.order_by("name"))
    return "\n".join(
        f"- {service.slug}: {service.name} ({service.code_count} codes)"
        + (f". {service.summary}" if service.summary else "")
        + f"\n  {_absolute(base_url, service.get_absolute_url())}"
        for service in services
    )


# --------------------------------------------------------------------------- resources


def services_resource(*, user: Any, base_url: str) -> str:
    """`portal://services`: the portal's llms.txt, services and how to read them."""
    return llms_txt(counted_services(user, Service.objects.order_by("name")), base_url)


def service_resource(slug: str, *, user: Any, base_url: str) -> str:
    """`portal://services/{slug}`: a service and every code it documents, as JSON."""
    service = find_service(slug)
    if service is None:
        raise ToolProblem(f"There is no service {slug!r}. Services: {_known_services()}.")
    errors = ErrorCode.objects.visible_to(user).filter(service=service).order_by("order", "code")
    data = {
        "slug": service.slug,
        "name": service.name,
        "summary": service.summary,
        "html_url": _absolute(base_url, service.get_absolute_url()),
        "codes": [
            {
                "code": error.code,
                "http_status": error.http_status,
                "title": error.title,
                "retry": error.retry,
                "lifecycle": error.lifecycle,
                "resource": f"portal://services/{service.slug}/errors/{error.code}",
                "html_url": _absolute(
                    base_url, reverse("errors:error", args=[service.slug, error.code])
                ),
            }
            for error in errors
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def code_resource(slug: str, code: str, *, user: Any, base_url: str) -> str:
    """`portal://services/{slug}/errors/{code}`: one code as Markdown."""
    match = find_code(slug, code, user=user)
    if match is None:
        raise ToolProblem(f"{slug!r} has no error code {code!r}.")
    return code_markdown(match.error, base_url)
