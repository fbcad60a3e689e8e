"""Browser: the power company's system admin declares a recurring maintenance window on its page, open
now, over one of its applications; the list shows it with its next occurrences (the open one marked).
An alert on that application, mapped from the unmatched queue, is held by the occurrence: the wall shows
the application in maintenance, not down."""

import datetime
import json
import re
import urllib.request
import zoneinfo

import pytest

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NAME = "浏览器测试：每周补丁夜"


def _post_alert(url: str) -> None:
    alert = {
        "status": "firing",
        "labels": {"alertname": "浏览器维护中告警", "instance": "maint-box-7:9100", "job": "node"},
        "annotations": {"summary": "补丁重启"},
        "startsAt": "2026-12-07T01:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "b0000000000000c1",
    }
    body = json.dumps({"version": "4", "status": "firing", "receiver": "yunwei", "alerts": [alert]}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        assert json.loads(response.read())["alerts"] == 1


def test_a_recurring_window_declared_on_its_page_lists_its_occurrences_and_holds_the_wall(page):
    log_in(page, "power-admin")
    # An application of the power company that nothing fails on now (normal, or not watched at all): a
    # signal held by a window shows it in maintenance.
    page.goto("/wall/")
    calm = page.locator(
        '[data-testid="wall-tile"][data-state="ok"], [data-testid="wall-tile"][data-state="unwatched"]'
    )
    assert calm.count() >= 1
    code = calm.first.get_attribute("data-code")

    # Open now: it began half an hour ago, local time, on today's weekday, and lasts two hours.
    began = datetime.datetime.now(SHANGHAI) - datetime.timedelta(minutes=30)
    page.goto("/changes/recurring-windows/")
    form = page.get_by_test_id("recurring-form")
    unit = form.locator("select[name=unit]")
    unit.select_option(unit.locator("option", has_text="发电").first.get_attribute("value"))
    form.locator("input[name=name]").fill(NAME)
    items = form.locator("select[name=items]")
    items.select_option(items.locator("option", has_text=code).first.get_attribute("value"))
    form.locator(f"input[name=weekdays][value='{began.isoweekday()}']").check()
    form.locator("input[name=start_time]").fill(began.strftime("%H:%M"))
    form.locator("input[name=duration_minutes]").fill("120")
    form.locator("input[name=time_zone]").fill("Asia/Shanghai")
    form.locator("input[name=starts_on]").fill(began.strftime("%Y-%m-%d"))
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/changes/recurring-windows/")

    row = page.get_by_test_id("recurring-table").locator("tr", has_text=NAME)
    assert code in row.inner_text()
    upcoming = row.get_by_test_id("recurring-next").locator("li")
    assert upcoming.count() == 3
    first = upcoming.first.inner_text()
    assert row.get_by_test_id("recurring-open").count() == 1 and "进行中" in first
    assert began.strftime("%Y-%m-%d %H:%M") in first
    # A week later, the same local time.
    assert (began + datetime.timedelta(days=7)).strftime("%Y-%m-%d %H:%M") in upcoming.nth(1).inner_text()
    page.screenshot(path=str(SCREENSHOTS / "recurring-windows.png"), full_page=True)

    # An alert from a fresh integration waits unmatched, and is mapped onto the application by hand.
    page.goto("/alerts/integrations/")
    page.get_by_test_id("integration-create").click()
    record = page.get_by_test_id("record-form")
    unit = record.locator("select[name=unit]")
    unit.select_option(unit.locator("option", has_text="发电").first.get_attribute("value"))
    record.locator("select[name=kind]").select_option("alertmanager")
    record.locator("input[name=name]").fill("浏览器测试：维护窗口告警源")
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(r"/alerts/integrations/\d+/$"))
    _post_alert(page.get_by_test_id("intake-url-with-token").input_value())
    page.goto("/alerts/unmatched/")
    queue = page.get_by_test_id("unmatched-table")
    queue.locator("tr", has_text="浏览器维护中告警").locator("a[data-testid^=map-]").click()
    page.wait_for_url(re.compile(r"/alerts/\d+/#map$"))
    choice = page.get_by_test_id("map-form").locator("select[name=item]")
    choice.select_option(choice.locator("option", has_text=code).first.get_attribute("value"))
    page.get_by_test_id("map-submit").click()
    page.wait_for_url(re.compile(r"/alerts/unmatched/$"))

    # Held by the occurrence: the wall shows the application in maintenance, and no incident for it.
    page.goto("/wall/")
    tile = page.locator(f'[data-testid="wall-tile"][data-code="{code}"]')
    assert tile.get_attribute("data-state") == "maintenance"
    assert tile.get_by_test_id("tile-state").inner_text().strip() == "维护中"
    page.screenshot(path=str(SCREENSHOTS / "wall-maintenance.png"), full_page=True)
