"""HTML views: read the request, call one function in errors.pages (errors.search_page
for search), render."""

from __future__ import annotations

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from errors import lookup, pages, search_page
from errors.clients import LANGUAGES
from errors.code_counts import counted_services
from errors.drift.page import drift_line, drift_page
from errors.drift.report import DEFAULT_WINDOW, InvalidWindow, window_days
from errors.models import Guide, Service
from errors.page_cache import cached_page, cached_page_refreshed
from errors.search.query import QueryError
from errors.text_pages import code_markdown, llms_txt


@require_safe
@cached_page
def home(request: HttpRequest) -> HttpResponse:
    """Every service with its code count, the latest changes and the search box."""
    return render(request, "errors/home.html", {"page": pages.home_page(request.user)})


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """The search page; an exact, unique code goes straight to its page."""
    page = search_page.search_page(request.GET, request.user)
    if page.redirect_to is not None:
        return redirect(page.redirect_to)
    status = 400 if page.problem else 200
    return render(request, "errors/search.html", {"page": page}, status=status)


@require_safe
def suggest(request: HttpRequest) -> HttpResponse:
    """Search-as-you-type: the best few matches as JSON."""
    try:
        data = search_page.suggestions(request.GET.get("q", ""), request.user)
    except QueryError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(data)


@require_safe
@cached_page
def status_page(request: HttpRequest, status: int, number: int | None = None) -> HttpResponse:
    """Every code with one HTTP status, across services; a page at a time when they are
    many (`/page/2/`; the first is the status's own URL)."""
    if number == 1:
        return HttpResponsePermanentRedirect(pages.status_page_url(status, 1))
    number = 1 if number is None else number
    page = pages.status_page(status, request.user, number)
    if page is None and pages.status_is_known(status, request.user):
        raise Http404(
            f"HTTP {status} has no page {number} of codes: they fit on fewer pages, the "
            f"first of them at {pages.status_page_url(status, 1)}."
        )
    if page is None:
        raise Http404(f"{status} is not a standard HTTP status and no code uses it.")
    return render(request, "errors/status.html", {"page": page})


@require_safe
@cached_page
def service_page(request: HttpRequest, slug: str, number: int | None = None) -> HttpResponse:
    """A service's reference: envelope, policy, codes by category, guides; a large
    service's codes a page at a time (`/page/2/`; the first is the service's own URL)."""
    service = lookup.find_service(slug)
    if service is None:
        return service_not_found(request, slug)
    if service.slug != slug or number == 1:
        return HttpResponsePermanentRedirect(pages.service_page_url(service, number or 1))
    number = 1 if number is None else number
    page = pages.service_page(service, request.user, number)
    if page is None:
        raise Http404(
            f"{service.name} has no page {number} of codes: they fit on fewer pages, "
            f"the first of them at {service.get_absolute_url()}."
        )
    languages = [(language.slug, language.name) for language in LANGUAGES.values()]
    context = {"page": page, "service": service, "client_languages": languages}
    return render(request, "errors/service.html", context)


DRIFT_LINE_SECONDS = 300  # the code page's drift line is at most this old


@require_safe
@cached_page_refreshed(DRIFT_LINE_SECONDS)
def error_page(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """One code; other spellings and aliases redirect to it, unknown codes get suggestions."""
    service = lookup.find_service(slug)
    if service is None:
        return service_not_found(request, slug)
    match = lookup.find_code(service.slug, code, user=request.user)
    if match is None:
        suggestions = lookup.nearest_codes(code, service=service.slug, user=request.user)
        context = {"service": service, "code": code, "suggestions": suggestions}
        return render(request, "errors/code_not_found.html", context, status=404)
    if service.slug != slug or not match.spelt_as(code):
        return HttpResponsePermanentRedirect(match.error.get_absolute_url())
    page = pages.error_page(match.error, request.user)
    context = {"page": page, "error": page.error, "drift": drift_line(page.error)}
    return render(request, "errors/error.html", context)


@require_safe
@cached_page
def guide_page(request: HttpRequest, slug: str, guide: str) -> HttpResponse:
    """A guide of a service."""
    page = get_object_or_404(
        Guide.objects.select_related("service"), service__slug=slug, slug=guide
    )
    return render(request, "errors/guide.html", {"guide": page, "service": page.service})


@require_safe
def service_drift(request: HttpRequest, slug: str) -> HttpResponse:
    """Where the service's catalog and its traffic disagree (`?since=7d`)."""
    service = lookup.find_service(slug)
    if service is None:
        return service_not_found(request, slug)
    since = request.GET.get("since", DEFAULT_WINDOW)
    try:
        days = window_days(since)
    except InvalidWindow as exc:
        context = {"service": service, "problem": str(exc)}
        return render(request, "errors/drift.html", context, status=400)
    page = drift_page(service, since, days)
    return render(request, "errors/drift.html", {"service": service, "page": page})


def service_not_found(request: HttpRequest, slug: str) -> HttpResponse:
    """A 404 page that names the nearest services and offers the search."""
    context = {
        "slug": slug,
        "suggestions": lookup.nearest_services(slug),
        "search_url": reverse("errors:search"),
    }
    return render(request, "errors/service_not_found.html", context, status=404)


# --------------------------------------------------------------------------- issue 18
# The catalog for tools: short links, each code as Markdown, and /llms.txt.

MARKDOWN = "text/markdown; charset=utf-8"
PLAIN_TEXT = "text/plain; charset=utf-8"


@require_safe
def short_link(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """`/e/<service>/<code>`: any spelling or old name redirects to the code's page, so a
    service can put a short doc_url in its error bodies; unknown codes get the 404 page."""
    service = lookup.find_service(slug)
    if service is None:
        return service_not_found(request, slug)
    match = lookup.find_code(service.slug, code, user=request.user)
    if match is None:
        return error_page(request, service.slug, code)
    return redirect(match.error.get_absolute_url())


@require_safe
@cached_page
def error_markdown(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """A code's page as Markdown; other spellings redirect to the code's own `.md`."""
    service = lookup.find_service(slug)
    if service is None:
        text = f"No service {slug!r} in the catalog: {request.build_absolute_uri('/llms.txt')}"
        return HttpResponse(text + " lists them.\n", content_type=PLAIN_TEXT, status=404)
    match = lookup.find_code(service.slug, code, user=request.user)
    if match is None:
        near = lookup.nearest_codes(code, service=service.slug, user=request.user)
        hint = f" Did you mean: {', '.join(error.code for error in near)}?" if near else ""
        text = f"{service.name} has no error code {code!r}.{hint}\n"
        return HttpResponse(text, content_type=PLAIN_TEXT, status=404)
    if service.slug != slug or not match.spelt_as(code):
        return HttpResponsePermanentRedirect(
            reverse("errors:error-markdown", args=[service.slug, match.error.code])
        )
    text = code_markdown(match.error, request.build_absolute_uri("/"))
    return HttpResponse(text, content_type=MARKDOWN)


@require_safe
@cached_page
def llms(request: HttpRequest) -> HttpResponse:
    """`/llms.txt`: the services, and how to read the catalog as text."""
    services = counted_services(request.user, Service.objects.order_by("name"))
    return HttpResponse(
        llms_txt(services, request.build_absolute_uri("/")), content_type=PLAIN_TEXT
    )
