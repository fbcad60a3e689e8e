"""Browser tests: the real product (gunicorn, demo data, SQLite in a temporary folder) driven by
Debian's chromium through Playwright. They skip, saying why, when chromium is not installed."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
YUNWEI = str(Path(sys.executable).with_name("yunwei"))
# Screenshots of the walks, kept for people to look at (var/ is not committed).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def product_url(tmp_path_factory):
    """A running Yunwei with the demo group, on a loopback port, for the whole session."""
    var_dir = tmp_path_factory.mktemp("yunwei-browser")
    env = {**os.environ, "YUNWEI_VAR_DIR": str(var_dir), "YUNWEI_TASKS_EAGER": "true"}
    env.pop("YUNWEI_DATABASE_URL", None)  # its own SQLite database, whatever the suite runs on
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for command in (["migrate"], ["demo"], ["manage", "collectstatic", "--noinput", "-v0"]):
        subprocess.run([YUNWEI, *command], env=env, check=True, capture_output=True)  # noqa: S603
    port = _free_port()
    log = (var_dir / "web.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [YUNWEI, "web", "--bind", f"127.0.0.1:{port}", "--workers", "1"], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    for _attempt in range(100):  # bounded: about 20 s
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):  # noqa: S310 - loopback
                break
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"the web server exited: {(var_dir / 'web.log').read_text()[-2000:]}")
            time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=20)


@pytest.fixture(scope="session")
def browser():
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
