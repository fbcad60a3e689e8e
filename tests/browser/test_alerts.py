"""Browser: a unit admin creates an Alertmanager integration on its page and copies the address shown once;
an Alertmanager-shaped webhook posted there (urllib) carries two alerts of a host not in the inventory;
both wait in the unmatched queue, and mapping one to an item on its page maps its sibling too."""

import json
import re
import urllib.request

import pytest

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser

NAME = "浏览器测试：发电普罗米修斯"


def _webhook(url: str) -> None:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": alertname, "instance": "legacy-box-9:9100", "job": "node"},
            "annotations": {"summary": "旧主机告警"},
            "startsAt": "2026-12-07T01:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": fingerprint,
        }
        for alertname, fingerprint in (
            ("浏览器磁盘将满", "b0000000000000a1"),
            ("浏览器负载过高", "b0000000000000a2"),
        )
    ]
    body = json.dumps({"version": "4", "status": "firing", "receiver": "yunwei", "alerts": alerts}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        assert json.loads(response.read())["alerts"] == 2


def test_an_unmatched_alert_mapped_on_its_page_takes_its_sibling_along(page, product_url):
    log_in(page, "power-admin")
    page.goto("/alerts/integrations/")
    page.get_by_test_id("integration-create").click()
    form = page.get_by_test_id("record-form")
    unit = form.locator("select[name=unit]")
    unit.select_option(unit.locator("option", has_text="发电").first.get_attribute("value"))
    form.locator("select[name=kind]").select_option("alertmanager")
    form.locator("input[name=name]").fill(NAME)
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(r"/alerts/integrations/\d+/$"))
    url = page.get_by_test_id("intake-url-with-token").input_value()
    assert re.fullmatch(rf"{re.escape(product_url)}/intake/alertmanager/yw_[\w-]+/", url)
    page.reload()
    assert page.get_by_test_id("token-once").count() == 0  # shown once only

    _webhook(url)
    page.goto("/alerts/unmatched/")
    queue = page.get_by_test_id("unmatched-table")
    assert "浏览器磁盘将满" in queue.inner_text() and "浏览器负载过高" in queue.inner_text()
    queue.locator("tr", has_text="浏览器磁盘将满").locator("a[data-testid^=map-]").click()
    page.wait_for_url(re.compile(r"/alerts/\d+/#map$"))
    assert page.get_by_test_id("alert-match").inner_text().strip() == "无对应配置项"
    # The item is named by its code; the form suggests some of the unit's items.
    suggestion = page.get_by_test_id("map-form").locator("datalist option").first
    code = suggestion.get_attribute("value")
    page.get_by_test_id("map-form").locator("input[name=item]").fill(code)
    page.screenshot(path=str(SCREENSHOTS / "alerts-map-form.png"), full_page=True)
    page.get_by_test_id("map-submit").click()
    page.wait_for_url(re.compile(r"/alerts/unmatched/$"))
    assert "已将 2 条告警映射到" in page.content()
    assert "浏览器负载过高" not in page.get_by_test_id("unmatched-table").inner_text()
    page.goto("/alerts/?q=浏览器负载过高")
    page.get_by_test_id("alert-table").get_by_role("link", name="浏览器负载过高").click()
    assert page.get_by_test_id("alert-item").inner_text().strip().startswith(f"{code} ")
    assert page.get_by_test_id("alert-match").inner_text().strip() == "人工映射"
    page.screenshot(path=str(SCREENSHOTS / "alerts-unmatched-mapped.png"), full_page=True)
