"""Browser tests: the real product (gunicorn, demo data, SQLite in a temporary folder) driven by
Debian's chromium through Playwright. They skip, saying why, when chromium is not installed."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Screenshots of the walks, kept for people to look at (var/ is not committed).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="package")
def browser():
    """Chromium for the browser tests, stopped when they are done: Playwright's event loop runs in the
    worker's thread while it is up, and Django refuses database calls from there (SynchronousOnlyOperation)
    to the tests that follow on the same worker."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (./test.sh installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, product_url):
    context = browser.new_context(
        base_url=product_url, locale="zh-CN", viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def log_in(page, username: str, password: str = "yunwei-demo") -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
