"""The search page and search-as-you-type, built by plain functions a test can call
without HTTP: the form (its choices kept per catalog version), the ranked rows, the facets
that narrow or widen the search, and the paging links. The search itself is
errors.search.execute's, behind every face."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from errors.catalog_version import catalog_version
from errors.codes import reason_phrase
from errors.models import Category, ErrorCode, Service
from errors.pages import RequestUser
from errors.search.execute import search_errors
from errors.search.query import QueryError, parse_query
from errors.search.results import SearchResults
from errors.search_rows import SearchRow, best_match, corrected_code, search_row
from errors.versioned_cache import VersionedCache

SEARCH_PER_PAGE = 20
SUGGEST_LIMIT = 8


@dataclass
class Facet:
    """One way to narrow the results: a service or a status, its count, a link (for the
    filter in use, set in the form, the link takes it off: `removes`)."""

    value: str
    label: str
    count: int
    url: str
    active: bool
    removes: bool = False


# (value, label) of each option of a select; shared by every page built under a catalog
# version, so never changed.
Choices = tuple[tuple[str, str], ...]


@dataclass
class SearchPage:
    """The search form's values, the results, the facets and the paging links."""

    form: dict[str, str]
    results: SearchResults | None = None
    rows: list[SearchRow] = field(default_factory=list)
    problem: str = ""
    service_facets: list[Facet] = field(default_factory=list)
    status_facets: list[Facet] = field(default_factory=list)
    # The form's choices: (slug, name) of each service, (slug, label) of each category.
    services: Choices = ()
    categories: Choices = ()
    lifecycles: list[tuple[str, str]] = field(default_factory=lambda: ErrorCode.Lifecycle.choices)
    previous_url: str = ""
    next_url: str = ""
    corrected: str = ""
    clear_url: str = ""

    @property
    def redirect_to(self) -> ErrorCode | None:
        """The one code the query names exactly, on the first page of a search."""
        results = self.results
        if results is None or results.page != 1 or not results.query.text:
            return None
        return results.exact_match

    @property
    def active_filters(self) -> int:
        """How many of the form's filters (not the words) are set."""
        return sum(1 for name in SEARCH_FIELDS[1:] if self.form.get(name))

    @property
    def filters_folded(self) -> bool:
        """Whether the filter panel starts folded where it is folded (a phone's width).

        Folded once results are shown, so that a phone's first screen shows them; open
        on the bare search page and when the search did not run, where the filters are
        what there is to do.
        """
        return bool(self.rows) and not self.problem


SEARCH_FIELDS = ("q", "service", "status", "category", "lifecycle")


def search_form(params: Mapping[str, str]) -> dict[str, str]:
    """The search form's fields from a query string, trimmed."""
    return {name: (params.get(name) or "").strip() for name in SEARCH_FIELDS}


def search_page(params: Mapping[str, str], user: RequestUser) -> SearchPage:
    """Run the one search for the query string `params` and shape it for the page."""
    form = search_form(params)
    page = SearchPage(form=form)
    page.services, page.categories = form_choices()
    try:
        number = _page_number(params.get("page"))
        query = parse_query(form["q"], **{name: form[name] for name in SEARCH_FIELDS[1:]})
        if query.is_empty:
            return page
        results = search_errors(query, user=user, page=number, per_page=SEARCH_PER_PAGE)
    except QueryError as exc:
        page.problem = str(exc)
        return page
    if results.total and results.page > results.pages:
        page.problem = (
            f"There are only {results.pages} page(s) of results: "
            f"page {results.page} is past the end."
        )
    page.results = results
    page.rows = [search_row(hit) for hit in results.hits]
    best = best_match(results)
    if best is not None and len(page.rows) > 1:
        page.rows[0].best = True
    page.corrected = corrected_code(results)
    names = dict(page.services)
    page.service_facets = [
        _facet(form, "service", slug, names.get(slug, slug), count, slug == query.service)
        for slug, count in sorted(results.by_service.items(), key=lambda item: -item[1])
    ]
    page.status_facets = [
        _facet(form, "status", str(status), reason_phrase(status), count, status == query.status)
        for status, count in sorted(results.by_status.items())
    ]
    if page.active_filters:
        page.clear_url = _search_url({"q": form["q"]})
    if results.page > 1:
        page.previous_url = _search_url(form, page=results.page - 1)
    if results.page < results.pages:
        page.next_url = _search_url(form, page=results.page + 1)
    return page


_form_choices: VersionedCache[tuple[Choices, Choices]] = VersionedCache()


def form_choices() -> tuple[Choices, Choices]:
    """The search form's services, (slug, name) by name, and categories (category_choices),
    read once per catalog version: every search page read every service, long texts and
    all, and every category with its service's name."""
    return _form_choices.get(catalog_version(), _read_form_choices)


def _read_form_choices() -> tuple[Choices, Choices]:
    services = tuple(Service.objects.order_by("name").values_list("slug", "name"))
    return services, category_choices()


def category_choices() -> Choices:
    """The category slugs across services, with a name for the form's select: a name
    that several slugs share says the services of each (two services' "HTTP Status
    Codes" are two choices that read alike otherwise)."""
    names: dict[str, str] = {}
    services: dict[str, set[str]] = {}
    rows = Category.objects.order_by("name").values_list("slug", "name", "service__name")
    for slug, name, service in rows:
        names.setdefault(slug, name)
        services.setdefault(slug, set()).add(service)
    shared = Counter(names.values())
    labels = {
        slug: f"{name} ({', '.join(sorted(services[slug]))})" if shared[name] > 1 else name
        for slug, name in names.items()
    }
    return tuple(sorted(labels.items(), key=lambda item: item[1].lower()))


def _page_number(value: str | None) -> int:
    if value in (None, ""):
        return 1
    if not (value.isascii() and value.isdigit()) or len(value.lstrip("0")) > 6 or int(value) < 1:
        raise QueryError(f"page must be a whole number from 1 to 999999, not {value!r}.")
    return int(value)


def _facet(
    form: dict[str, str], name: str, value: str, label: str, count: int, active: bool
) -> Facet:
    """A facet's link: to narrow by it, or, for the filter the form has set, to take it
    off (one written in the search box stays there, for its owner to delete)."""
    removes = active and bool(form.get(name))  # the form's filter made it the one in use
    url = _search_url(form, **{name: "" if removes else value})
    return Facet(value, label, count, url, active, removes)


def _search_url(form: dict[str, str], **changes: Any) -> str:
    params = {**form, **{name: str(value) for name, value in changes.items()}}
    if "page" not in changes:
        params.pop("page", None)
    return reverse("errors:search") + "?" + urlencode({k: v for k, v in params.items() if v})


def suggestions(text: str, user: RequestUser, limit: int = SUGGEST_LIMIT) -> dict[str, Any]:
    """The best matches for search-as-you-type, as JSON-ready data.

    Raises QueryError, like the search, for a query it cannot run.
    """
    query = parse_query(text)
    if query.is_empty:
        return {"query": text, "total": 0, "total_is_lower_bound": False, "results": []}
    results = search_errors(query, user=user, page=1, per_page=limit)
    return {
        "query": text,
        "total": results.total,
        "total_is_lower_bound": results.total_is_lower_bound,
        "search_url": reverse("errors:search") + "?" + urlencode({"q": text}),
        "results": [
            {
                "service": hit.error.service.slug,
                "service_name": hit.error.service.name,
                "code": hit.error.code,
                "http_status": hit.error.http_status,
                "title": hit.error.title,
                "summary": hit.error.summary,
                "url": hit.error.get_absolute_url(),
            }
            for hit in results.hits
        ],
    }
