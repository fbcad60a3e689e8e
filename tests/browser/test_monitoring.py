"""Browser: a unit admin creates a backup heartbeat on its page, the job's script pings it with urllib
(start, then a finish carrying a log and a size), and the run shows on the heartbeat's page; a unit admin
makes an HTTP check on the per-kind form against a server the test runs, tests it now (up), stops the
server (down) and starts it again (up); the group admin reads a demo check's chart over 24 hours and 7
days, and a demo heartbeat's runs."""

import contextlib
import http.server
import re
import threading
import urllib.request

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser

NAME = "浏览器测试：财务库夜间备份"


def test_a_heartbeat_created_on_its_page_shows_the_run_its_job_pinged(page, product_url):
    log_in(page, "power-admin")
    page.goto("/monitoring/")
    page.get_by_test_id("heartbeat-create").click()
    form = page.get_by_test_id("record-form")
    unit = form.locator("select[name=unit]")
    unit.select_option(unit.locator("option", has_text="发电").first.get_attribute("value"))
    form.locator("input[name=name]").fill(NAME)
    form.locator("select[name=kind]").select_option("backup")
    form.locator("input[name=min_size]").fill("1000")
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(r"/monitoring/heartbeats/\d+/$"))
    assert page.get_by_test_id("heartbeat-state").inner_text().strip() == "新建"
    ping_url = page.get_by_test_id("ping-url-1").input_value()
    assert re.fullmatch(rf"{re.escape(product_url)}/ping/[0-9a-f-]{{36}}", ping_url)

    for suffix, body, headers in (("/start", None, {}), ("", b"dump finished\n", {"X-Backup-Size": "4096"})):
        request = urllib.request.Request(ping_url + suffix, data=body, headers=headers)  # noqa: S310 - loopback
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            assert response.read() == b"OK"

    page.reload()
    assert page.get_by_test_id("heartbeat-state").inner_text().strip() == "正常"
    runs = page.get_by_test_id("run-table")
    assert "dump finished" in runs.inner_text()
    assert "4.0 KB" in runs.inner_text().replace("\xa0", " ")
    assert runs.locator("tbody tr").count() == 2
    page.screenshot(path=str(SCREENSHOTS / "monitoring-heartbeat.png"), full_page=True)


class _Portal(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server dispatches to)
        body = "财务系统 OK".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def portal(port: int = 0):
    """The target the user watches: an HTTP server on 127.0.0.1 (the same port again after a stop)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Portal)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _test_now(page) -> tuple[str, str]:
    page.get_by_test_id("check-run").click()
    page.wait_for_url(re.compile(r"/monitoring/checks/\d+/\?tested=\d+$"))
    return (
        page.get_by_test_id("test-status").inner_text().strip(),
        page.get_by_test_id("check-state").inner_text().strip(),
    )


def test_a_check_made_on_the_per_kind_form_goes_down_with_its_target_and_comes_back(page, product_url):
    log_in(page, "power-admin")
    page.goto("/monitoring/checks/new/")
    form = page.get_by_test_id("record-form")
    item = form.locator("select[name=item]")
    item.select_option(item.locator("option").nth(1).get_attribute("value"))
    form.locator("input[name=name]").fill("浏览器测试：财务系统门户")
    form.locator("select[name=kind]").select_option("http")
    # Only the chosen kind's fields show.
    assert page.get_by_test_id("fields-http").is_visible()
    assert not page.get_by_test_id("fields-tcp").is_visible()
    with portal() as port:
        form.locator("input[name=http_url]").fill(f"http://127.0.0.1:{port}/")
        form.locator("input[name=http_keyword]").fill("OK")
        form.locator("input[name=http_expected_status]").fill("200")
        form.locator("input[name=fail_after]").fill("1")
        form.locator("input[name=recover_after]").fill("1")
        page.screenshot(path=str(SCREENSHOTS / "monitoring-check-form.png"), full_page=True)
        page.get_by_test_id("save").click()
        page.wait_for_url(re.compile(r"/monitoring/checks/\d+/$"))
        assert page.get_by_test_id("check-state").inner_text().strip() == "新建"
        assert _test_now(page) == ("正常", "正常")
        assert page.get_by_test_id("test-method").inner_text() == "http"
        assert "ms" in page.get_by_test_id("test-latency").inner_text()
    # The target stopped: the next test finds it down (one failure is down for this check).
    status, state = _test_now(page)
    assert (status, state) == ("故障", "故障")
    assert "127.0.0.1" in page.get_by_test_id("test-reason").inner_text()
    with portal(port):
        assert _test_now(page) == ("正常", "正常")
    rows = page.get_by_test_id("result-table").locator("tbody tr")
    assert rows.count() == 3
    chart = page.get_by_test_id("check-chart")
    expect(page.locator("[data-check-chart]")).to_have_attribute("data-loaded", "24h", timeout=60_000)
    assert chart.locator("canvas").count() >= 1
    page.mouse.move(0, 0)
    page.screenshot(path=str(SCREENSHOTS / "monitoring-check-made.png"), full_page=True)


def test_a_demo_check_shows_its_history_in_the_chart_and_a_heartbeat_its_runs(page, product_url):
    log_in(page, "admin")
    page.goto("/monitoring/checks/?q=流程审批")
    page.get_by_role("link", name="流程审批模块（时好时坏）").click()
    page.wait_for_url(re.compile(r"/monitoring/checks/\d+/$"))
    assert page.get_by_test_id("check-flapping").inner_text().strip() == "状态抖动"
    expect(page.locator("[data-check-chart]")).to_have_attribute("data-loaded", "24h", timeout=60_000)
    availability = page.get_by_test_id("chart-availability").inner_text()
    assert re.fullmatch(r"\d+(\.\d+)? %", availability), availability
    page.get_by_test_id("chart-range-7d").click()
    expect(page.locator("[data-check-chart]")).to_have_attribute("data-loaded", "7d", timeout=60_000)
    assert "active" in page.get_by_test_id("chart-range-7d").get_attribute("class")
    page.mouse.move(0, 0)
    segments = page.evaluate(
        "fetch(document.querySelector('[data-check-chart]').dataset.url + '?range=7d').then(r => r.json())"
        ".then(d => d.states.map(s => s[2]))"
    )
    assert {"up", "partial"} <= set(segments) <= {"up", "partial", "down", "maintenance", "none"}, segments
    page.screenshot(path=str(SCREENSHOTS / "monitoring-check-chart.png"), full_page=True)

    page.goto("/monitoring/")
    page.get_by_role("link", name=re.compile("数据库夜间全量备份")).first.click()
    page.wait_for_url(re.compile(r"/monitoring/heartbeats/\d+/$"))
    runs = page.get_by_test_id("run-table")
    assert runs.locator("tbody tr").count() >= 10
    assert "MB" in runs.inner_text() or "GB" in runs.inner_text()
