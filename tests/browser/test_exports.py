"""Browser (issue 25): the technician filters the incidents, bulk-assigns two to themself, and exports
what is now theirs; the lists looked at at 1366 and 390 pixels wide in both languages."""

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser


def test_technician_filters_bulk_assigns_two_and_exports(browser, product_url):
    page = browser.new_context(
        base_url=product_url, locale="zh-CN", viewport={"width": 1366, "height": 900}
    ).new_page()
    page.set_default_timeout(15000)
    log_in(page, "tech")
    page.goto("/incidents/")
    filters = page.get_by_test_id("filter-form")
    filters.locator("select[name=mine]").select_option("false")
    filters.locator("select[name=false_alarm]").select_option("false")
    page.wait_for_url(re.compile(r"mine=false"))
    page.get_by_test_id("sort-number").click()
    page.wait_for_url(re.compile(r"sort=number"))
    boxes = page.locator("input[name=ids]")
    assert boxes.count() >= 2
    chosen = [boxes.nth(i).get_attribute("value") for i in range(2)]
    for value in chosen:
        page.get_by_test_id(f"select-{value}").check()
    page.get_by_test_id("bulk-action").select_option("assign")
    page.get_by_test_id("bulk-assignee").select_option("me")
    page.get_by_test_id("bulk-comment").fill("浏览器批量指派")
    page.get_by_test_id("bulk-submit").click()
    summary = page.get_by_test_id("bulk-summary")
    assert "已完成 2 条记录" in summary.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "bulk-result-1366-zh.png"), full_page=True)

    # Filtered in place (htmx swaps the results and the address): the export takes the filters in view.
    page.goto("/incidents/")
    page.get_by_test_id("filter-form").locator("select[name=mine]").select_option("true")
    page.wait_for_url(re.compile(r"mine=true"))
    page.wait_for_load_state("networkidle")
    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    assert download.value.suggested_filename == "incidents.xlsx"
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    codes = {row[0] for row in rows}
    assert {f"INC{int(value):06d}" for value in chosen} <= codes
    # Only the technician's own: every row has the one assignee (the column after the closing time).
    assert len({row[11] for row in rows}) == 1
    page.context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("width", [1366, 390])
def test_lists_at_desktop_and_phone_width(browser, product_url, locale, width):
    page = browser.new_context(
        base_url=product_url, locale=locale, viewport={"width": width, "height": 900}
    ).new_page()
    page.set_default_timeout(15000)
    log_in(page, "admin")
    tag = f"{width}-{locale[:2]}"
    for path, name in (("/", "dashboard"), ("/incidents/", "incidents"), ("/audit/", "audit")):
        page.goto(path)
        # Nothing sticks out of the page sideways: the top bar fits and wide tables scroll in their box.
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (path, overflow)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{tag}.png"), full_page=True)
    if width == 1366:
        bar = page.locator(".yw-topbar .navbar-nav").bounding_box()
        # Inside the window, in at most two rows of links (more areas than one row of 1366 px holds).
        assert bar["x"] + bar["width"] <= width and bar["height"] < 90
    page.context.close()
