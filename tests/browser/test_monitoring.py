"""Browser: a unit admin creates a backup heartbeat on its page, the job's script pings it with urllib
(start, then a finish carrying a log and a size), and the run shows on the heartbeat's page."""

import re
import urllib.request

import pytest

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
