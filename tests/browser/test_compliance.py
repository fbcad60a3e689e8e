"""Browser: the chemical company's admin opens Art. 10's page, sees this month's finding (no clerk
named), asks for "not applicable" with a reason; the group system admin approves it on the same page,
and the unit's score for the article and the month changes."""

import pytest

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser

REASON = "浏览器：文书岗位由办公室主任兼任，已报集团备案"


def _page(browser, product_url, username):
    page = browser.new_context(
        base_url=product_url, locale="zh-CN", viewport={"width": 1366, "height": 900}
    ).new_page()
    page.set_default_timeout(15000)
    log_in(page, username)
    return page


def test_a_finding_becomes_not_applicable_once_the_group_admin_approves_and_the_score_changes(
    browser, product_url
):
    admin = _page(browser, product_url, "chem-admin")
    admin.goto("/compliance/")
    before = admin.get_by_test_id("score-chem").inner_text()
    admin.goto("/compliance/articles/10/")
    assert "各使用单位必须明确一位领导" in admin.get_by_test_id("article-zh").inner_text()
    result = admin.get_by_test_id("result-chem")
    assert "文书" in result.get_by_test_id("findings").inner_text()
    assert admin.get_by_test_id("article-score-chem").inner_text() == "50%"
    result.locator("summary").click()
    result.get_by_test_id("reason").fill(REASON)
    result.get_by_test_id("request-na").click()
    admin.wait_for_load_state()
    exemption = admin.get_by_test_id("result-chem").get_by_test_id("exemption")
    assert REASON in exemption.inner_text() and "已申请" in exemption.inner_text()
    # Whoever asked does not decide.
    assert admin.get_by_test_id("result-chem").get_by_test_id("approve").count() == 0
    admin.context.close()

    group_admin = _page(browser, product_url, "admin")
    group_admin.goto("/compliance/articles/10/")
    group_admin.get_by_test_id("result-chem").get_by_test_id("approve").click()
    group_admin.wait_for_load_state()
    result = group_admin.get_by_test_id("result-chem")
    assert result.get_by_test_id("outcome").inner_text() == "不适用"
    assert group_admin.get_by_test_id("article-score-chem").inner_text() == "—"
    group_admin.screenshot(path=str(SCREENSHOTS / "compliance-article.png"), full_page=True)
    group_admin.goto("/compliance/")
    after = group_admin.get_by_test_id("score-chem").inner_text()
    assert after != before
    group_admin.screenshot(path=str(SCREENSHOTS / "compliance-overview.png"), full_page=True)
    group_admin.context.close()
