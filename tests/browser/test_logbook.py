"""Browser: the system management lead's month (Art. 5) — open last month's logs of 发电公司 side by side,
record a finding, turn it into a rectification, confirm the three logs and sign with the password; the
signed month then shows as signed with what the lead saw. Then a compliance finding (Art. 10, the chemical
company's) becomes a rectification in one step from its article's page."""

import datetime
import re

import pytest

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser


def _click(page, test_id):
    page.get_by_test_id(test_id).first.click()
    page.wait_for_load_state()


def test_a_lead_reviews_records_a_finding_rectifies_and_signs_the_month(browser, product_url):
    page = browser.new_context(
        base_url=product_url, locale="zh-CN", viewport={"width": 1366, "height": 900}
    ).new_page()
    page.set_default_timeout(15000)
    log_in(page, "lead")
    page.goto("/logbook/")
    row = page.get_by_test_id("unit-power")
    row.locator("a").nth(1).click()  # last month's review
    page.wait_for_url(re.compile(r"/logbook/units/\d+/review/\?month=\d{4}-\d{2}$"))
    review_url = page.url
    # The three logs side by side, with the backup days coloured by their evidence.
    for log in ("log-backup", "log-daily", "log-problems"):
        assert page.get_by_test_id(log).is_visible()
    assert page.get_by_test_id("backup-days").locator("span").count() >= 28
    page.screenshot(path=str(SCREENSHOTS / "logbook-review.png"), full_page=True)

    # A finding about the daily management log.
    form = page.get_by_test_id("finding-form")
    form.locator("select[name=log]").select_option("daily")
    form.locator("textarea[name=text]").fill("浏览器：交接班记录未写遗留事项")
    _click(page, "add-finding")
    finding = page.get_by_test_id("finding").filter(has_text="浏览器：交接班记录未写遗留事项")
    assert finding.count() == 1

    # It becomes a rectification owned by the technician, due in two weeks.
    rectify = finding.get_by_test_id("rectify-form")
    owner = rectify.locator("select[name=owner]")
    owner.select_option(owner.locator("option", has_text="· tech").first.get_attribute("value"))
    due = (datetime.date.today() + datetime.timedelta(days=14)).isoformat()
    rectify.locator("input[name=deadline]").fill(due)
    rectify.get_by_test_id("rectify").click()
    page.wait_for_url(re.compile(r"/logbook/rectifications/\d+/$"))
    assert "浏览器：交接班记录未写遗留事项" in page.get_by_test_id("rect-title").inner_text()
    assert page.get_by_test_id("rect-state").inner_text() == "待整改"

    # Back on the review: confirm each log, then sign with the password.
    page.goto(review_url)
    for log in ("backup", "daily", "problems"):
        _click(page, f"confirm-button-{log}")
        assert page.get_by_test_id(f"confirmed-{log}").is_visible()
    assert page.get_by_test_id("rectification-link").count() >= 1
    page.get_by_test_id("sign-form").locator("input[name=password]").fill("not-the-password")
    _click(page, "sign-button")
    assert page.get_by_test_id("sign").is_visible()  # still unsigned: the wrong password is said
    assert page.locator(".alert-danger").count() == 1
    page.get_by_test_id("sign-form").locator("input[name=password]").fill("yunwei-demo")
    _click(page, "sign-button")
    assert page.get_by_test_id("signed").is_visible()
    assert page.get_by_test_id("review-state").inner_text() == "已签字"
    page.screenshot(path=str(SCREENSHOTS / "logbook-signed.png"), full_page=True)

    # A compliance finding becomes a rectification in one step: the form comes prefilled.
    page.goto("/compliance/articles/10/")
    result = page.get_by_test_id("result-chem")
    finding = result.locator("[data-testid^=finding-]").filter(has_text="文书").first
    finding.get_by_test_id("make-rectification").click()
    page.wait_for_url(re.compile(r"/compliance/findings/\d+/rectify/$"))
    form = page.get_by_test_id("rectify-form")
    assert form.locator("select[name=owner]").input_value() != ""
    assert form.locator("input[name=deadline]").input_value() > datetime.date.today().isoformat()
    page.screenshot(path=str(SCREENSHOTS / "compliance-rectify.png"), full_page=True)
    _click(page, "save")
    badge = page.get_by_test_id("result-chem").get_by_test_id("rectification").first
    assert "RCT" in badge.inner_text() and "待整改" in badge.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "compliance-rectified.png"), full_page=True)
    page.context.close()
