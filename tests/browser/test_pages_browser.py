"""The pages as a user's browser shows them: navigation, copy, themes, phone, keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGES = {
    "home": "/",
    "service": "/services/sigsentry/",
    "code": "/services/elder-signals/errors/INVALID_WEIGHT/",
    "example code": "/services/synthesis/errors/NOT_FOUND/",
    "guide": None,
    "status": "/status/429/",
    "search": "/search/?q=rate+limit",
    "drift": "/services/sigsentry/drift/",  # issue 16
}


def urls(site: str) -> list[str]:
    return [site + path for path in PAGES.values() if path]


def test_every_page_loads_without_script_errors(live_portal, page):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for url in urls(live_portal):
        response = page.goto(url)
        assert response.status == 200, url
        assert page.locator("main h1").count() == 1, url
    assert errors == []


def test_follow_a_code_from_home_to_its_page(live_portal, page):
    page.goto(live_portal + "/")
    page.locator(".service-cards").get_by_role("link", name="SigSentry").click()
    page.locator("a.code-link", has_text="RATE_LIMITED").first.click()
    assert page.url.endswith("/services/sigsentry/errors/RATE_LIMITED/")
    assert "RATE_LIMITED" in page.locator("h1").inner_text()


def test_copy_button_copies_an_example(live_portal, browser):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(live_portal + PAGES["example code"])
    button = page.locator(".example .copy-button").first
    button.click()
    expect(button).to_have_text("Copied")  # the clipboard write is asynchronous
    copied = page.evaluate("navigator.clipboard.readText()")
    assert '"code"' in copied
    context.close()


def test_dark_theme_follows_the_system(live_portal, browser):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(live_portal + "/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 22, 28)"
    context.close()


def test_light_theme_by_default(live_portal, page):
    page.goto(live_portal + "/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"


def test_phone_width_has_no_horizontal_scroll(live_portal, browser):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    for url in urls(live_portal):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, url
    context.close()


def test_slash_focuses_the_search_box(live_portal, page):
    page.goto(live_portal + "/services/sigsentry/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search-input"


def _suggesting(live_portal, page):
    """The header's search box with "rate lim" typed and its suggestions shown."""
    page.goto(live_portal + "/services/sigsentry/")
    box = page.locator("#site-search-input")
    box.click()
    # Typed at once (one input event): typed key by key, a slow machine's pause between
    # keys asked for "rate l" first, and the answer for "rate lim" redrew the list after
    # it was shown, the test's highlight with it.
    box.fill("rate lim")
    listbox = page.get_by_role("listbox")
    listbox.wait_for(state="visible")
    return box, listbox


def test_search_as_you_type_with_the_keyboard(live_portal, page):
    box, listbox = _suggesting(live_portal, page)
    assert box.get_attribute("aria-expanded") == "true"
    box.press("ArrowDown")
    first = page.get_by_role("option").first
    assert first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    box.press("Escape")
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"
    box.press("ArrowDown")
    listbox.wait_for(state="visible")
    box.press("ArrowDown")
    target = page.get_by_role("option").first.locator("code").inner_text()
    box.press("Enter")
    page.wait_for_url(f"**/errors/{target}/")


def test_escape_keeps_suggestions_still_on_their_way_from_reopening_the_list(live_portal, page):
    box, listbox = _suggesting(live_portal, page)
    box.press_sequentially("i")  # the next suggestions are asked for after a pause
    box.press("Escape")
    page.wait_for_timeout(800)  # past the pause (150 ms) and the answer
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"


def test_plain_submit_searches(live_portal, page):
    page.goto(live_portal + "/")
    page.fill("#home-search-input", "key was revoked")
    page.locator(".hero-search button").click()
    page.wait_for_url("**/search/?q=key+was+revoked")
    assert "result" in page.locator(".results-count").inner_text()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", ["home", "service", "code", "example code", "search", "drift"])
def test_no_serious_accessibility_violations(live_portal, browser, axe_source, name, scheme):
    # The checker is injected as an inline script, which the portal's CSP rightly refuses:
    # this context alone lets it in.
    context = browser.new_context(color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    page.goto(live_portal + PAGES[name])
    page.add_script_tag(content=axe_source)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{item['id']}: {item['help']} ({len(item['nodes'])} nodes: {item['nodes'][0]['target']})"
        for item in result["violations"]
        if item["impact"] in ("serious", "critical")
    ]
    context.close()
    assert serious == []
