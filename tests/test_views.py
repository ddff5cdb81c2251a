"""The reference pages, their redirects and the search page, over HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from errors.markdown import highlight_stylesheet
from errors.models import Category, ErrorCode, Example, Guide, Service
from tests.factories import make_code, make_service, make_user

STATIC = Path(__file__).resolve().parent.parent / "static" / "errors"


@pytest.fixture
def shop(db):
    """A small service with a category, a deprecated code, an alias, a draft and a guide
    (in these tests, in place of conftest's empty shop)."""
    service = make_service(
        summary="The shop API",
        envelope_example='{"error": {"code": "NOT_FOUND"}}',
        envelope_fields=[{"name": "error.code", "type": "string", "description": "The code"}],
        stability="Codes are **stable**.",
    )
    category = Category.objects.create(service=service, slug="lookup", name="Lookup errors")
    current = make_code(
        service,
        "NOT_FOUND",
        http_status=404,
        title="Not found",
        summary="The thing is not there",
        resolution="Check the id.",
        category=category,
        aliases=["MISSING_THING"],
        messages=["No thing with id 7"],
    )
    make_code(
        service,
        "OLD_NOT_FOUND",
        http_status=404,
        title="Old not found",
        lifecycle="deprecated",
        lifecycle_since="v2",
        replaced_by=current,
        order=1,
    )
    make_code(service, "SECRET_DRAFT", http_status=500, title="Draft", order=2, published=False)
    Example.objects.create(error=current, language="json", body='{"error":{"code":"NOT_FOUND"}}')
    Guide.objects.create(service=service, slug="retries", title="Retries", body="Retry **later**.")
    return service


def test_home_lists_services_with_code_counts(client, shop):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Shop" in response.content
    assert b"2 codes" in response.content  # the draft is not counted for the public


def test_home_lists_recently_changed_codes(client, not_found):
    assert b"Recently changed" in client.get("/").content


def test_home_says_an_import_in_one_line(client, demo):
    html = client.get("/").content.decode()
    assert ">30 codes imported</a>" in html  # SigSentry's, not thirty lines
    assert html.count('class="code-link"') == 0


def test_home_has_a_labelled_search_box_and_landmarks(client, shop):
    html = client.get("/").content.decode()
    assert 'role="search"' in html and "<main" in html and 'class="skip-link"' in html
    assert '<label for="home-search-input"' in html


def test_pages_carry_no_inline_script(client, shop):
    for url in ("/", "/services/shop/", "/services/shop/errors/NOT_FOUND/", "/search/?q=x"):
        html = client.get(url).content.decode()
        assert "<script>" not in html and "onclick" not in html and " style=" not in html


def test_service_page_shows_envelope_policy_tables_and_guides(client, shop):
    html = client.get("/services/shop/").content.decode()
    assert "Error envelope" in html and "error.code" in html
    assert "<strong>stable</strong>" in html
    assert "Lookup errors" in html and 'id="NOT_FOUND"' in html
    assert 'href="/services/shop/guides/retries/"' in html
    assert "SECRET_DRAFT" not in html


def test_service_page_shows_drafts_to_staff_marked(staff_client, shop):
    html = staff_client.get("/services/shop/").content.decode()
    assert "SECRET_DRAFT" in html and "badge-draft" in html


def test_service_slug_in_other_case_redirects(client, shop):
    response = client.get("/services/SHOP/")
    assert response.status_code == 301 and response["Location"] == "/services/shop/"


def test_unknown_service_suggests_the_nearest(client, shop):
    response = client.get("/services/shoop/")
    assert response.status_code == 404
    assert b'href="/services/shop/"' in response.content
    assert b"/search/?q=shoop" in response.content


def test_code_page_shows_everything(client, shop):
    html = client.get("/services/shop/errors/NOT_FOUND/").content.decode()
    assert "404 Not Found" in html
    assert "Lookup errors" in html and "Check the id." in html
    assert "No thing with id 7" in html and "MISSING_THING" in html
    assert 'class="highlight"' in html
    assert 'href="/api/v1/services/shop/errors/NOT_FOUND/"' in html
    assert "Last updated" in html
    assert 'href="/services/shop/errors/OLD_NOT_FOUND/"' in html  # replaces
    assert "Edit in the admin" not in html


def test_deprecated_code_says_so_and_links_its_replacement(client, shop):
    html = client.get("/services/shop/errors/OLD_NOT_FOUND/").content.decode()
    assert "Deprecated since v2" in html
    assert 'Use <a href="/services/shop/errors/NOT_FOUND/">' in html


def test_code_page_lists_other_services_with_the_same_status(client, shop):
    other = Service.objects.create(slug="bank", name="Bank")
    ErrorCode.objects.create(
        service=other, code="NO_ACCOUNT", http_status=404, title="No", published=True
    )
    html = client.get("/services/shop/errors/NOT_FOUND/").content.decode()
    assert "404 in other services" in html and "NO_ACCOUNT" in html


def test_code_in_other_case_redirects_permanently(client, shop):
    response = client.get("/services/shop/errors/not_found/")
    assert response.status_code == 301
    assert response["Location"] == "/services/shop/errors/NOT_FOUND/"


def test_code_with_other_separators_redirects(client, shop):
    response = client.get("/services/shop/errors/not-found/")
    assert response["Location"] == "/services/shop/errors/NOT_FOUND/"


def test_alias_redirects_to_its_current_code(client, shop):
    response = client.get("/services/shop/errors/MISSING_THING/")
    assert response.status_code == 301
    assert response["Location"] == "/services/shop/errors/NOT_FOUND/"


def test_unknown_code_gets_404_with_nearest_codes_and_search(client, shop):
    response = client.get("/services/shop/errors/NOT_FUND/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Did you mean" in html and 'href="/services/shop/errors/NOT_FOUND/"' in html
    assert "/search/?q=NOT_FUND" in html


def test_draft_code_is_hidden_from_the_public(client, shop):
    assert client.get("/services/shop/errors/SECRET_DRAFT/").status_code == 404


def test_draft_code_is_shown_to_staff_as_draft(staff_client, shop):
    response = staff_client.get("/services/shop/errors/SECRET_DRAFT/")
    assert response.status_code == 200 and b"only staff can see this page" in response.content


def test_admin_link_for_staff(staff_client, shop):
    entry = ErrorCode.objects.get(service__slug="shop", code="NOT_FOUND")
    html = staff_client.get("/services/shop/errors/NOT_FOUND/").content.decode()
    assert "Edit in the admin" in html
    assert f"/admin/errors/errorcode/{entry.pk}/change/" in html


def test_no_admin_link_for_the_public(client, shop):
    assert b"Edit in the admin" not in client.get("/services/shop/errors/NOT_FOUND/").content


def test_guide_page(client, shop):
    response = client.get("/services/shop/guides/retries/")
    assert response.status_code == 200 and b"<strong>later</strong>" in response.content


def test_unknown_guide_is_404(client, shop):
    assert client.get("/services/shop/guides/nope/").status_code == 404


def test_status_page_lists_codes_under_the_standard_meaning(client, shop):
    html = client.get("/status/404/").content.decode()
    assert "404 Not Found" in html and "will not say that it has one" in html
    assert "NOT_FOUND" in html and "SECRET_DRAFT" not in html


def test_status_page_for_unused_standard_status_is_empty_but_found(client, shop):
    response = client.get("/status/418/")
    assert response.status_code == 200 and b"No service documents" in response.content


def test_an_unknown_address_says_nothing_is_there_not_the_exception(client, shop):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Nothing is at <code>/no/such/page/</code>." in html
    assert "Resolver404" not in html and 'href="/search/"' in html


def test_status_page_for_a_nonstandard_unused_number_is_404(client, shop):
    assert client.get("/status/599/").status_code == 404


def test_search_page_shows_results_with_facets(client, shop):
    html = client.get("/search/", {"q": "thing"}).content.decode()
    assert "NOT_FOUND" in html
    assert "/search/?q=thing&amp;service=shop" in html
    assert "/search/?q=thing&amp;status=404" in html


def test_search_folds_its_filters_once_there_are_results(client, shop):
    found = client.get("/search/", {"q": "thing", "status": "404"}).content.decode()
    assert '<details class="search-filters">' in found  # folded (on a phone)
    assert "Filters <span" in found and "(1 set)" in found
    for params in ({}, {"q": "zzqqxx"}, {"q": "status:abc"}):
        html = client.get("/search/", params).content.decode()
        assert '<details class="search-filters" open>' in html, params


def test_search_in_an_unknown_service_says_so(client, shop):
    for params in (
        {"q": "thing", "service": "shp"},
        {"q": "service:shp thing"},
        {"service": "shp"},
    ):
        response = client.get("/search/", params)
        assert response.status_code == 400, params
        assert "There is no service &#x27;shp&#x27;: did you mean &#x27;shop&#x27;?" in (
            response.content.decode()
        )
    found = client.get("/search/", {"q": "nothing like this", "service": "shop"})
    assert found.status_code == 200 and b"Nothing matches" in found.content


def test_search_filters_in_use_can_be_taken_off(client, shop):
    html = client.get("/search/", {"q": "thing", "status": "404", "service": "shop"}).content
    html = html.decode()
    assert 'href="/search/?q=thing&amp;service=shop" aria-current="true">404 Not Found' in html
    assert 'href="/search/?q=thing&amp;status=404" aria-current="true">Shop' in html
    assert html.count("(remove this filter)") == 2
    assert '<a href="/search/?q=thing">Clear the filters</a>' in html
    unfiltered = client.get("/search/", {"q": "thing"}).content.decode()
    assert "Clear the filters" not in unfiltered and "remove this filter" not in unfiltered
    spelt = client.get("/search/", {"q": "thing", "service": "Shop"}).content.decode()
    assert 'href="/search/?q=thing" aria-current="true">Shop' in spelt  # the slug's case
    typed = client.get("/search/", {"q": "status:404 thing"}).content.decode()
    assert "remove this filter" not in typed  # written in the box: deleted there


def test_search_category_choices_that_read_alike_say_their_services(db):
    from errors.search_page import category_choices

    shop, bank = make_service(), make_service("bank", "Bank")
    Category.objects.create(service=shop, slug="http", name="HTTP errors")
    Category.objects.create(service=bank, slug="http-errors", name="HTTP errors")
    Category.objects.create(service=bank, slug="http", name="HTTP errors")
    Category.objects.create(service=bank, slug="auth", name="Auth")
    assert list(category_choices()) == [
        ("auth", "Auth"),
        ("http-errors", "HTTP errors (Bank)"),
        ("http", "HTTP errors (Bank, Shop)"),
    ]


def test_search_exact_unique_code_redirects_to_its_page(client, shop):
    response = client.get("/search/", {"q": "not_found"})
    assert response.status_code == 302
    assert response["Location"] == "/services/shop/errors/NOT_FOUND/"


def test_search_status_field_filters(client, shop):
    html = client.get("/search/", {"q": "", "status": "404"}).content.decode()
    assert "2 results" in html


def test_search_query_error_is_a_friendly_400(client, shop):
    response = client.get("/search/", {"q": "status:abc"})
    assert response.status_code == 400
    assert b"status must be a number from 100 to 599" in response.content


def test_search_bad_page_number_is_a_friendly_400(client, shop):
    response = client.get("/search/", {"q": "thing", "page": "zero"})
    assert response.status_code == 400 and b"page must be a whole number" in response.content


def test_search_pages_results(client, shop):
    for number in range(25):
        ErrorCode.objects.create(
            service=shop, code=f"WIDGET_{number}", title="Widget broke", published=True
        )
    first = client.get("/search/", {"q": "widget"}).content.decode()
    assert "page 1 of 2" in first and 'rel="next" href="/search/?q=widget&amp;page=2"' in first
    second = client.get("/search/", {"q": "widget", "page": "2"}).content.decode()
    assert 'rel="prev"' in second and "page 2 of 2" in second


def test_suggest_returns_top_matches_as_json(client, shop):
    data = client.get("/search/suggest/", {"q": "not_found"}).json()
    assert data["results"][0]["url"] == "/services/shop/errors/NOT_FOUND/"
    assert {"code", "title", "http_status", "service", "service_name"} <= set(data["results"][0])


def test_suggest_empty_query_returns_nothing(client, shop):
    assert client.get("/search/suggest/", {"q": " "}).json()["results"] == []


def test_suggest_query_error_is_400_json(client, shop):
    response = client.get("/search/suggest/", {"q": "lifecycle:sleepy"})
    assert response.status_code == 400 and "lifecycle must be" in response.json()["error"]


def test_suggest_hides_drafts_from_the_public(client, shop):
    assert client.get("/search/suggest/", {"q": "SECRET"}).json()["results"] == []


def make_codes(service: Service, count: int) -> None:
    categories = Category.objects.bulk_create(
        Category(service=service, slug=f"c{n}", name=f"Category {n}") for n in range(5)
    )
    ErrorCode.objects.bulk_create(
        ErrorCode(
            service=service,
            code=f"CODE_{n}",
            code_key=f"code{n}",
            http_status=400 + n % 100,
            title=f"Code {n}",
            category=categories[n % 5],
            published=True,
            order=n,
        )
        for n in range(count)
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_service_page_queries_do_not_grow_with_codes(client, db, django_assert_num_queries, count):
    service = Service.objects.create(slug="big", name="Big")
    make_codes(service, count)
    with django_assert_num_queries(5):  # catalog version, service, codes, categories, guides
        response = client.get("/services/big/")
    assert response.content.count(b'class="code-link"') == count
    with django_assert_num_queries(1):  # the catalog version: the page comes from the cache
        again = client.get("/services/big/")
    assert again.content == response.content


@pytest.fixture
def pages_of_ten(monkeypatch):
    """Service pages of ten codes each, so that a few dozen codes take several pages."""
    monkeypatch.setattr("errors.pages.SERVICE_PAGE_CODES", 10)


def shown_codes(response) -> list[str]:
    return re.findall(r'class="code-link"[^>]*>(?:<code>)?([A-Z_0-9]+)', response.content.decode())


def test_a_large_service_shows_its_codes_a_page_at_a_time(client, db, pages_of_ten):
    service = Service.objects.create(slug="big", name="Big")
    make_codes(service, 25)
    first = client.get("/services/big/")
    assert len(shown_codes(first)) == 10
    html = first.content.decode()
    assert "Codes 1\u201310 of 25" in html
    assert "<dd>25</dd>" in html  # the facts count every code, not the page's
    assert 'href="/services/big/page/2/"' in html and 'href="/services/big/page/3/"' in html
    assert "search Big</a>" in html and "Filter the codes on this page" in html
    second = client.get("/services/big/page/2/")
    assert "Codes 11\u201320 of 25" in second.content.decode()
    assert not set(shown_codes(first)) & set(shown_codes(second))
    last = client.get("/services/big/page/3/")
    assert len(shown_codes(last)) == 5
    everything = shown_codes(first) + shown_codes(second) + shown_codes(last)
    assert sorted(everything) == sorted(f"CODE_{n}" for n in range(25))


def test_a_service_page_number_past_the_last_says_so(client, db, pages_of_ten):
    service = Service.objects.create(slug="big", name="Big")
    make_codes(service, 25)
    missing = client.get("/services/big/page/4/")
    assert missing.status_code == 404
    assert "Big has no page 4 of codes" in missing.content.decode()
    assert client.get("/services/big/page/0/").status_code == 404
    first = client.get("/services/big/page/1/")
    assert (first.status_code, first["Location"]) == (301, "/services/big/")
    small = Service.objects.create(slug="small", name="Small")
    make_codes(small, 5)
    assert client.get("/services/small/page/2/").status_code == 404
    assert b"service-pager" not in client.get("/services/small/").content


def test_service_pages_queries_do_not_grow_with_codes(
    client, db, pages_of_ten, django_assert_num_queries
):
    service = Service.objects.create(slug="big", name="Big")
    make_codes(service, 95)
    # catalog version, service, codes (one more than a page), their count, categories, guides
    with django_assert_num_queries(6):
        client.get("/services/big/")
    with django_assert_num_queries(6):  # the count before the page's codes
        client.get("/services/big/page/5/")
    with django_assert_num_queries(1):  # each page is cached under its own address
        assert "Codes 41\u201350 of 95" in client.get("/services/big/page/5/").content.decode()


def test_staff_see_the_drafts_of_every_page_counted(client, db, pages_of_ten):
    service = Service.objects.create(slug="big", name="Big")
    make_codes(service, 25)
    ErrorCode.objects.filter(code__in=["CODE_3", "CODE_24"]).update(published=False)
    client.force_login(make_user("editor"))
    assert "(2 drafts)" in client.get("/services/big/").content.decode()


@pytest.mark.parametrize("count", [10, 1000])
def test_home_queries_do_not_grow_with_codes(client, db, django_assert_num_queries, count):
    make_codes(Service.objects.create(slug="big", name="Big"), count)
    # catalog version, services with their versions, their counts (once per service
    # version: errors.code_counts), latest codes
    with django_assert_num_queries(4):
        client.get("/")


@pytest.mark.parametrize("count", [10, 1000])
def test_status_page_queries_do_not_grow_with_codes(client, db, django_assert_num_queries, count):
    make_codes(Service.objects.create(slug="big", name="Big"), count)
    # catalog version, the codes per service, the services' order, the page's codes
    with django_assert_num_queries(4):
        client.get("/status/404/")


@pytest.mark.parametrize("count", [10, 1000])
def test_code_page_queries_do_not_grow_with_codes(client, db, django_assert_num_queries, count):
    make_codes(Service.objects.create(slug="big", name="Big"), count)
    # version, service, code, examples, the service's same status, other services', replaces,
    # the drift line (issue 16)
    with django_assert_num_queries(8):
        client.get("/services/big/errors/CODE_4/")


def queries_of(client, url: str) -> int:
    """The number of queries one uncached request for `url` makes."""
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        "/services/big/guides/retries/",
        "/search/?q=code",
        "/search/?q=status:404",
        "/search/suggest/?q=code",
        "/services/big/changes/",
        "/services/big/changes/feed/",
    ],
)
def test_other_pages_cost_the_same_queries_at_10_and_1000_codes(client, db, url):
    service = Service.objects.create(slug="big", name="Big")
    Guide.objects.create(service=service, slug="retries", title="Retries", body="Retry.")
    make_codes(service, 10)
    small = queries_of(client, url)
    ErrorCode.objects.filter(service=service).delete()
    Category.objects.filter(service=service).delete()
    make_codes(service, 1000)
    assert queries_of(client, url) == small


def test_highlight_stylesheet_is_the_generated_one():
    shipped = (STATIC / "highlight.css").read_text()
    assert shipped == highlight_stylesheet(), (
        "static/errors/highlight.css is stale: regenerate it with "
        ".venv/bin/python -c 'from errors.markdown import highlight_stylesheet as h; "
        'open("static/errors/highlight.css", "w").write(h())\''
    )


def test_static_files_are_served(client, db):
    assert client.get(reverse("errors:home")).status_code == 200
    for name in ("portal.css", "portal.js", "highlight.css"):
        assert (STATIC / name).is_file()


def test_a_write_retires_cached_pages_at_once(client, shop):
    assert b"Nowhere to be seen" not in client.get("/services/shop/").content
    ErrorCode.objects.filter(service=shop, code="NOT_FOUND").update(title="Nowhere to be seen")
    assert b"Nowhere to be seen" in client.get("/services/shop/").content


def test_staff_pages_are_never_served_from_the_cache(client, staff_client, shop):
    client.get("/services/shop/errors/NOT_FOUND/")
    assert "Edit in the admin" in staff_client.get("/services/shop/errors/NOT_FOUND/").text


def test_head_is_answered_like_get(client, shop):
    response = client.head("/services/shop/")
    assert response.status_code == 200


def test_unknown_status_number_suggests_the_codes_with_that_status(client, demo):
    response = client.get("/services/sigsentry/errors/429/")
    assert response.status_code == 404
    assert "/services/sigsentry/errors/RATE_LIMITED/" in response.text


def test_query_strings_the_pages_do_not_read_share_one_cache_entry(client, shop, monkeypatch):
    from errors import page_cache

    keys = set()
    real_set = page_cache.cache.set
    monkeypatch.setattr(
        page_cache.cache, "set", lambda key, *rest: keys.add(key) or real_set(key, *rest)
    )
    for number in range(50):
        assert client.get(f"/services/shop/?utm={number}").status_code == 200
    assert len(keys) == 1


@pytest.mark.parametrize("address", ["/search/?status=404", "/api/v1/errors/?status=404"])
def test_browsing_by_filters_reads_nothing_more_per_code(client, demo, address, monkeypatch):
    """A page of codes found by filters alone is read as a ranked search's hits are: the
    fields its faces show, none read back code by code."""

    def queries(per_page: int) -> int:
        cache.clear()
        monkeypatch.setattr("errors.search_page.SEARCH_PER_PAGE", per_page)  # the page's size
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{address}&per_page={per_page}")
        assert response.status_code == 200
        return len(captured)

    queries(2)  # what is read once per catalog version
    assert ErrorCode.objects.filter(published=True, http_status=404).count() >= 5
    assert queries(5) == queries(1)


def test_search_form_choices_are_read_once_per_catalog_version(client, demo):
    client.get("/search/?q=timeout")

    def tables_read(address: str) -> str:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(address)
        assert response.status_code == 200
        return " ".join(query["sql"] for query in captured.captured_queries)

    read = tables_read("/search/?q=timeout&status=504")
    assert 'FROM "errors_category"' not in read  # the categories, with their services
    assert 'SELECT "errors_service"."slug", "errors_service"."name"' not in read  # services
    Category.objects.create(service=Service.objects.get(slug="synthesis"), slug="zz", name="Zulu")
    make_service("zebra", name="Zebra Pay")  # each write moves the catalog version
    page = client.get("/search/?q=timeout&status=500").content.decode()
    assert ">Zebra Pay</option>" in page
    assert ">Zulu</option>" in page


@pytest.fixture
def status_pages_of_ten(monkeypatch):
    """Status pages of ten codes each."""
    monkeypatch.setattr("errors.pages.STATUS_PAGE_CODES", 10)


def service_of_404s(slug: str, name: str, prefix: str, count: int) -> None:
    """A service of `count` published codes answered with 404: PREFIX_0, PREFIX_1, ..."""
    service = Service.objects.create(slug=slug, name=name)
    ErrorCode.objects.bulk_create(
        ErrorCode(service=service, code=f"{prefix}_{n}", code_key=f"{prefix.lower()}{n}",
                  http_status=404, title=f"{name} {n}", order=n, published=True)
        for n in range(count)
    )  # fmt: skip


def many_404s() -> None:
    """27 published codes answered with 404 in three services, named in another order
    than their slugs (Alpha 12, Mid 7, Zeta 8), and a draft of Alpha's."""
    for slug, name, count in (("a-svc", "Zeta", 8), ("b-svc", "Alpha", 12), ("c-svc", "Mid", 7)):
        service_of_404s(slug, name, name.upper(), count)
    alpha = Service.objects.get(slug="b-svc")
    make_code(alpha, "ALPHA_DRAFT", http_status=404, order=99, published=False)


def test_a_common_status_shows_its_codes_a_page_at_a_time(client, db, status_pages_of_ten):
    many_404s()
    first = client.get("/status/404/")
    html = first.content.decode()
    assert shown_codes(first) == [f"ALPHA_{n}" for n in range(10)]
    assert "27 codes in 3 services" in html and "Codes 1\u201310 of 27" in html
    assert 'href="/status/404/page/2/"' in html and 'href="/status/404/page/3/"' in html
    assert 'aria-label="Pages of HTTP 404 codes, top"' in html
    second = client.get("/status/404/page/2/")
    expected = ["ALPHA_10", "ALPHA_11", *(f"MID_{n}" for n in range(7)), "ZETA_0"]
    assert shown_codes(second) == expected
    assert shown_codes(client.get("/status/404/page/3/")) == [f"ZETA_{n}" for n in range(1, 8)]
    first = client.get("/status/404/page/1/")
    assert (first.status_code, first["Location"]) == (301, "/status/404/")
    missing = client.get("/status/404/page/4/")
    assert missing.status_code == 404
    assert "HTTP 404 has no page 4 of codes" in missing.content.decode()


def test_staff_page_through_the_drafts_of_a_status_too(client, db, status_pages_of_ten):
    many_404s()
    client.force_login(make_user("editor"))
    last = client.get("/status/404/page/3/")
    assert "28 codes in 3 services" in last.content.decode()
    assert shown_codes(last) == [f"ZETA_{n}" for n in range(8)]  # the draft moved Zeta on


def test_a_status_page_of_few_codes_has_no_pager(client, db):
    many_404s()
    html = client.get("/status/404/").content.decode()
    assert "service-pager" not in html and len(re.findall("code-link", html)) == 27
    assert client.get("/status/404/page/2/").status_code == 404


def test_status_pages_queries_do_not_grow_with_codes(
    client, db, status_pages_of_ten, django_assert_num_queries
):
    many_404s()
    # catalog version, the codes per service, the services' order, the page's codes
    with django_assert_num_queries(4):
        client.get("/status/404/page/2/")


def test_status_pages_follow_the_databases_order_of_names(client, db, status_pages_of_ten):
    """Names that sort apart by case or accent (`beta`, `Alpha`, `Éclair`, `Zeta`): the
    pages take the services in the order the database sorts their names, as the home page
    lists them, each service's codes together, none twice, none left out."""
    for slug, name in (("s1", "beta"), ("s2", "Zeta"), ("s3", "Alpha"), ("s4", "Éclair")):
        service_of_404s(slug, name, slug.upper(), 7)
    shown = [code for page in (1, 2, 3) for code in shown_codes(
        client.get("/status/404/" if page == 1 else f"/status/404/page/{page}/")
    )]  # fmt: skip
    in_order = list(Service.objects.order_by("name").values_list("slug", flat=True))
    assert shown == [f"{slug.upper()}_{n}" for slug in in_order for n in range(7)]


def test_a_status_page_numbered_zero_is_no_page(client, db, status_pages_of_ten):
    many_404s()
    assert client.get("/status/404/page/0/").status_code == 404
    assert client.get("/status/404/page/00/").status_code == 404
    assert client.get("/status/499/page/2/").status_code == 404  # no page 1 either
