"""The editors' admin in headless Chromium: log in, edit a code with the live preview,
save, see it on the site, revert it from the history."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from errors.catalog import load_demo_catalogs
from tests.admin_support import make_user

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-for-tests-only"

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    if os.environ.get("PORTAL_BROWSER_TESTS") == "required":
        raise RuntimeError(f"PORTAL_BROWSER_TESTS=required but {CHROMIUM} is missing.")
    pytest.skip(f"{CHROMIUM} is missing", allow_module_level=True)


@pytest.fixture
def admin_page(live_server, transactional_db, monkeypatch):
    """A Chromium page logged in to the admin as an editor, over the demo catalogs."""
    # Playwright's sync API runs an event loop; the ORM calls in this test are synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    load_demo_catalogs()
    make_user("editor", editor=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "editor")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        yield page
        browser.close()


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
