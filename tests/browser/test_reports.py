"""Browser: the system management lead's monthly report (Art. 6) — open this month's report of 发电公司
(a draft in the demo), generate it, write the analysis and next month's plan, sign with the password (a
wrong one is said first) and download the .docx, .pdf and .xlsx; the archive lists the signed months."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser


def _click(page, test_id):
    page.get_by_test_id(test_id).first.click()
    page.wait_for_load_state()


def test_a_lead_generates_writes_signs_and_downloads_the_monthly_report(browser, product_url):
    page = browser.new_context(
        base_url=product_url, locale="zh-CN", viewport={"width": 1366, "height": 900}, accept_downloads=True
    ).new_page()
    page.set_default_timeout(60000)
    log_in(page, "lead")
    page.goto("/reports/")
    # The archive holds the demo's signed months.
    assert page.get_by_test_id("archive-row").count() >= 3
    assert page.get_by_test_id("archive").get_by_text("已签字").count() >= 3
    form = page.get_by_test_id("open-form")
    unit = form.locator("select[name=unit]")
    unit.select_option(unit.locator("option", has_text="发电公司").first.get_attribute("value"))
    _click(page, "open-report")
    page.wait_for_url(re.compile(r"/reports/\d+/$"))
    assert page.get_by_test_id("report-state").get_attribute("data-state") == "draft"

    _click(page, "generate")
    state = page.locator("[data-testid=report-state]")
    expect(state).to_have_attribute("data-state", "ready", timeout=60_000)
    assert page.get_by_test_id("table-incidents_by_grade").is_visible()
    page.wait_for_selector("[data-testid=chart-incidents-by-grade][data-loaded=true]")

    text = page.get_by_test_id("text-form")
    text.locator("textarea[name=analysis]").fill("浏览器：本月运行平稳，网络故障两起均按时恢复。")
    text.locator("textarea[name=plan]").fill("浏览器：下月完成核心交换机冗余改造。")
    _click(page, "save-text")
    assert "浏览器：本月运行平稳" in page.locator("textarea[name=analysis]").input_value()
    page.screenshot(path=str(SCREENSHOTS / "report-ready.png"), full_page=True)

    page.get_by_test_id("sign-form").locator("input[name=password]").fill("not-the-password")
    _click(page, "sign-button")
    assert page.get_by_test_id("report-state").get_attribute("data-state") == "ready"
    assert page.get_by_test_id("sign-form").locator(".invalid-feedback").count() == 1
    page.get_by_test_id("sign-form").locator("input[name=password]").fill("yunwei-demo")
    _click(page, "sign-button")
    assert page.get_by_test_id("report-state").get_attribute("data-state") == "signed"
    assert page.get_by_test_id("signed-note").is_visible()
    assert "浏览器：本月运行平稳" in page.get_by_test_id("analysis").inner_text()

    for fmt, magic in (("docx", b"PK"), ("pdf", b"%PDF"), ("xlsx", b"PK")):
        with page.expect_download() as info:
            page.get_by_test_id(f"download-{fmt}").click()
        download = info.value
        assert download.suggested_filename.endswith(f".{fmt}")
        with open(download.path(), "rb") as handle:
            assert handle.read(4).startswith(magic)
    page.screenshot(path=str(SCREENSHOTS / "report-signed.png"), full_page=True)
    page.context.close()
