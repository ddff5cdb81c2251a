"""The reference pages of issue 14 in a browser: column grid, filter box, one search box,
stacked rows at phone width, no overflow, and axe in light and dark."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGES = {
    "service by code": "/services/sigsentry/",
    "service by status": "/services/aisafe/",
    "service by message": "/services/elder-signals/",
    "status-only code": "/services/aisafe/errors/429/",
    "illustrative code": "/services/cloudsigma/errors/DailyLimitExceeded/",
    "code known by message": "/services/elder-signals/errors/INVALID_WEIGHT/",
    "search": "/search/?q=rate+limit",
    "corrected search": "/search/?q=RATE_LIMTED",
    "status": "/status/429/",
    "changelog": "/services/sigsentry/changes/",
    "home": "/",
}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


def test_no_page_overflows_a_390_pixel_screen(live_portal, phone):
    for path in PAGES.values():
        phone.goto(live_portal + path)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path


def test_stacked_rows_label_each_line(live_portal, phone):
    phone.goto(live_portal + "/services/aisafe/")
    label = phone.evaluate(
        "getComputedStyle(document.querySelector('td[data-label=Resolution]'), '::before').content"
    )
    assert label == '"Resolution"'


def test_a_phone_shows_the_first_results_in_its_first_screen(live_portal, phone):
    phone.goto(live_portal + "/search/?q=rate+limited")
    first = phone.locator(".hit").first
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844  # not under the filters
    service = phone.get_by_label("Service", exact=True)
    expect(service).to_be_hidden()  # the filters are folded into one line
    phone.locator(".search-filters > summary").click()
    expect(service).to_be_visible()


def test_a_phone_opens_the_filters_where_there_is_nothing_else_to_do(live_portal, phone):
    for path in ("/search/", "/search/?q=zzqqxxnothing"):
        phone.goto(live_portal + path)
        expect(phone.get_by_label("Service", exact=True)).to_be_visible()


def test_a_wide_screen_shows_the_filters_beside_the_results(live_portal, page):
    page.goto(live_portal + "/search/?q=rate+limited&status=429")
    expect(page.get_by_label("Service", exact=True)).to_be_visible()
    expect(page.locator(".search-filters > summary")).to_be_hidden()


def test_every_table_of_a_service_page_shares_its_columns(live_portal, page):
    page.goto(live_portal + "/services/sigsentry/")
    boxes = page.evaluate(
        """[...document.querySelectorAll('table.codes-service')].map(table =>
             [...table.querySelectorAll('thead th')].map(th => {
               const box = th.getBoundingClientRect();
               return [Math.round(box.x), Math.round(box.width)];
             }))"""
    )
    assert len(boxes) == 6 and all(columns == boxes[0] for columns in boxes)
    names = ["status", "code", "meaning", "resolution", "retry"]
    widths = dict(zip(names, boxes[0], strict=True))
    assert widths["meaning"][1] >= 150 and widths["resolution"][1] >= 150  # prose has room
    assert widths["status"][1] < 100


def test_a_status_only_entry_spans_status_and_code(live_portal, page):
    page.goto(live_portal + "/services/aisafe/")
    cell = page.locator("tr#\\34 00 td").first
    assert cell.get_attribute("colspan") == "2"
    expect(cell).to_have_text("400 Bad Request")


def test_the_filter_box_narrows_the_codes_without_reloading(live_portal, page):
    page.goto(live_portal + "/services/sigsentry/")
    box = page.get_by_label("Filter the codes")
    box.fill("revoked")
    visible = page.locator("tr[data-filter]:visible")
    expect(visible).to_have_count(1)
    expect(visible.first).to_contain_text("API_KEY_REVOKED")
    expect(page.locator("#code-filter-count")).to_have_text("1 of 30 codes match.")
    assert page.locator("#category-server-side").is_hidden()  # a table with no match hides
    box.fill("429")
    expect(visible).to_have_count(1)
    expect(visible.first).to_contain_text("RATE_LIMITED")
    box.fill("no such thing")
    expect(page.locator("[data-filter-empty]")).to_be_visible()
    box.fill("")
    expect(visible).to_have_count(30)


def test_the_contents_follow_the_filter_box(live_portal, page):
    page.goto(live_portal + "/services/sigsentry/")
    entries = page.locator("nav.toc li[data-toc-for]")
    before = entries.evaluate_all("els => els.map(e => e.textContent.trim())")
    page.get_by_label("Filter the codes").fill("revoked")
    shown = page.locator("nav.toc li[data-toc-for]:visible")
    expect(shown).to_have_count(1)
    expect(shown.first.locator(".count")).to_have_text("1")
    page.get_by_label("Filter the codes").fill("")
    expect(shown).to_have_count(len(before))
    assert entries.evaluate_all("els => els.map(e => e.textContent.trim())") == before


def test_the_filter_finds_a_code_by_its_message(live_portal, page):
    page.goto(live_portal + "/services/elder-signals/")
    page.get_by_label("Filter the codes").fill("between 0 and 1")
    expect(page.locator("tr[data-filter]:visible")).to_have_count(1)


def test_on_this_page_stays_in_view(live_portal, page):
    page.goto(live_portal + "/services/sigsentry/")
    page.mouse.wheel(0, 3000)
    # Not wait_for_function: when its first check is false (the scroll still under way),
    # it polls by evaluating the text as script, which the portal's CSP refuses.
    for _ in range(100):
        if page.evaluate("window.scrollY") > 2000:
            break
        page.wait_for_timeout(50)
    assert page.evaluate("window.scrollY") > 2000
    top = page.evaluate("document.querySelector('.toc').getBoundingClientRect().top")
    assert 0 <= top < 100


def test_the_search_page_has_one_search_box(live_portal, page):
    page.goto(live_portal + "/search/?q=key+was+revoked")
    boxes = page.locator("input[type=search]:visible")
    expect(boxes).to_have_count(1)
    expect(boxes.first).to_have_value("key was revoked")


def test_the_whole_service_card_is_the_link(live_portal, page):
    page.goto(live_portal + "/")
    box = page.locator(".card-link", has_text="AISafe").locator("p").first.bounding_box()
    page.mouse.click(box["x"] + 10, box["y"] + 5)  # on the text, not on the name
    page.wait_for_url("**/services/aisafe/")


def test_related_codes_of_other_services_are_collapsed(live_portal, page):
    page.goto(live_portal + PAGES["code known by message"])
    expect(page.get_by_role("link", name="VALIDATION_ERROR")).to_be_visible()
    expect(page.locator(".related-elsewhere .related")).to_be_hidden()
    page.locator(".related-elsewhere summary").click()
    expect(page.locator(".related-elsewhere .related")).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violations(live_portal, browser, axe_source, name, scheme):
    context = browser.new_context(color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    page.goto(live_portal + PAGES[name])
    page.add_script_tag(content=axe_source)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{item['id']}: {item['help']} ({item['nodes'][0]['target']})"
        for item in result["violations"]
        if item["impact"] in ("serious", "critical")
    ]
    context.close()
    assert serious == []


def test_the_api_reference_has_the_portal_header_and_locks_only_publishing(live_portal, page):
    page.goto(live_portal + "/api/docs/")
    page.wait_for_selector(".opblock")
    expect(page.locator(".portal-header").get_by_role("link", name="All services")).to_be_visible()
    # Only the writes need a token: publishing a catalog, importing an OpenAPI spec,
    # reporting observations.
    locked = page.locator(".opblock", has=page.locator(".authorization__btn"))
    expect(locked).to_have_count(3)
    paths = sorted(
        f"{block.locator('.opblock-summary-method').inner_text()} "
        f"{block.locator('.opblock-summary-path').inner_text()}"
        for block in locked.all()
    )
    assert [" ".join(path.split()) for path in paths] == [
        "POST /api/v1/observations/",
        "POST /api/v1/services/{slug}/openapi/",
        "PUT /api/v1/services/{slug}/catalog/",
    ]
    assert page.locator(".opblock").count() > 3


@pytest.mark.parametrize(("scheme", "dark"), [("dark", True), ("light", False)])
def test_the_api_reference_follows_the_systems_colour_scheme(live_portal, browser, scheme, dark):
    context = browser.new_context(color_scheme=scheme)  # under the portal's CSP
    page = context.new_page()
    page.goto(live_portal + "/api/docs/")
    page.wait_for_selector(".opblock")
    assert page.evaluate("document.documentElement.classList.contains('dark-mode')") is dark
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(28, 32, 34)") is dark, background  # Swagger UI's own dark
    header = page.evaluate(
        "getComputedStyle(document.querySelector('.portal-header')).backgroundColor"
    )
    assert (header == "rgb(26, 32, 40)") is dark, header  # the portal's, as portal.css
    context.close()
