"""Headless Chromium through Playwright, against pytest-django's live server.

The tests skip when Debian's Chromium is missing, unless PORTAL_BROWSER_TESTS=required
(as CI sets it): then they fail, so a broken browser never passes silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop; Django refuses ORM calls from inside one.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
REQUIRED = os.environ.get("PORTAL_BROWSER_TESTS") == "required"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(what: str, how: str) -> None:
    message = f"{what} is missing: {how}"
    if REQUIRED:
        pytest.fail(f"{message} (PORTAL_BROWSER_TESTS=required)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session."""
    if not CHROMIUM.exists():
        _missing(str(CHROMIUM), "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh desktop page in the light theme; fails the test if the page breaks the
    Content Security Policy (an inline script or style, a foreign host)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    new_page = context.new_page()
    refused: list[str] = []
    new_page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield new_page
    context.close()
    assert refused == [], refused


@pytest.fixture
def axe_source() -> str:
    """axe-core's script, installed with npm ci --prefix tests/browser."""
    if not AXE.exists():
        _missing("axe-core", "npm ci --prefix tests/browser")
    return AXE.read_text()
