"""HTML views: read the request, call one function, render."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from errors.models import ErrorCode, Guide, Service
from errors.search import QueryError, parse_query, search_errors


def home(request):
    """Every service, with a search box."""
    return render(request, "errors/home.html", {"services": Service.objects.all()})


def search(request):
    """The search page."""
    try:
        query = parse_query(request.GET.get("q", ""))
        results = search_errors(query, user=request.user)
        problem = ""
    except QueryError as exc:
        results, problem = None, str(exc)
    return render(request, "errors/search.html", {"results": results, "problem": problem})


def status_page(request, status: int):
    """Every code with one HTTP status, across services."""
    errors = ErrorCode.objects.visible_to(request.user).filter(http_status=status)
    return render(request, "errors/status.html", {"status": status, "errors": errors})


def service_page(request, slug: str):
    """A service's reference."""
    service = get_object_or_404(Service, slug=slug)
    errors = service.errors.visible_to(request.user)
    return render(request, "errors/service.html", {"service": service, "errors": errors})


def error_page(request, slug: str, code: str):
    """One error code."""
    error = get_object_or_404(
        ErrorCode.objects.visible_to(request.user), service__slug=slug, code__iexact=code
    )
    return render(request, "errors/error.html", {"error": error})


def guide_page(request, slug: str, guide: str):
    """A guide."""
    page = get_object_or_404(Guide, service__slug=slug, slug=guide)
    return render(request, "errors/guide.html", {"guide": page})
