"""A code's page URL answers people and programs: HTML to browsers, the API's entry (same
keys, same problems) to `Accept: application/json`, with `Vary: Accept` on both.

That URL is each entry's `html_url` and the `type` of the portal's own problems, so a
tool holding one can read the entry without knowing the API's addresses.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from errors import views
from errors.api.views import ErrorDetailView

# The types the page can be: the first is the default (browsers, */*).
PAGE_TYPES = ["text/html", "application/json"]

_entry = ErrorDetailView.as_view()


def wants_json(request: HttpRequest) -> bool:
    """True when the caller prefers JSON to HTML (RFC 9110 quality values)."""
    if "HTTP_ACCEPT" not in request.META:
        return False
    return request.get_preferred_type(PAGE_TYPES) == "application/json"


# The JSON answer follows the API's login rules (tokens count), the page the site's.
@login_not_required
@require_safe
def code_page(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """The code's page, or its API entry when the caller asks for JSON."""
    if wants_json(request):
        response: HttpResponse = _entry(request, slug=slug, code=code)
    elif settings.PORTAL_REQUIRE_LOGIN and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    else:
        response = views.error_page(request, slug, code)
    patch_vary_headers(response, ["Accept"])
    return response
