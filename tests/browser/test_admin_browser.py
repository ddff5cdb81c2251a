"""The editors' admin in headless Chromium: log in, edit a code with the live preview,
save, see it on the site, revert it from the history."""

from __future__ import annotations

import pytest

PASSWORD = "pw-for-tests-only"

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_page(live_portal, browser, editor):
    """A Chromium page logged in to the admin as an editor, over the demo catalogs."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{live_portal}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_portal}/admin/")
    yield page
    context.close()


def test_edit_with_preview_save_see_on_site_and_revert(admin_page, live_server):
    from playwright.sync_api import expect

    page = admin_page
    page.goto(f"{live_server.url}/admin/errors/errorcode/?q=RATE_LIMITED")
    page.get_by_role("link", name="RATE_LIMITED").first.click()

    page.fill("#id_resolution", "Slow **down**, then retry.")
    preview = page.locator(".errors-preview-pair:has(#id_resolution) .errors-preview")
    expect(preview.locator("strong")).to_have_text("down")

    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.get_by_role("link", name="View on site").click()
    expect(page.locator("main")).to_contain_text("Slow down, then retry.")

    page.go_back()
    page.get_by_role("link", name="History").click()
    page.get_by_role("button", name="Revert to this").first.click()
    expect(page.locator(".messagelist")).to_contain_text("Reverted")
    expect(page.locator("#id_resolution")).not_to_have_value("Slow **down**, then retry.")

    page.get_by_role("link", name="View on site").click()
    expect(page.locator("main")).not_to_contain_text("Slow down, then retry.")


def test_the_admin_is_branded_and_its_code_list_fits_1280_pixels(admin_page, live_server):
    # issue 14: every column of the code list shows without scrolling at 1280 px.
    page = admin_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/errors/errorcode/")
    assert "Error portal administration" in page.locator("#site-name").inner_text()
    results = page.locator(".results")
    assert results.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert page.locator("#result_list th.column-problems").is_visible()
