"""Browser: a user reports a fault from the list of their unit's applications; the unit's system admin
walks it along the flow of Art. 13 to closed."""

import re

import pytest

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser


def test_user_reports_a_fault_and_staff_walk_it_to_closed(browser, product_url):
    user = browser.new_context(base_url=product_url, locale="zh-CN").new_page()
    user.set_default_timeout(15000)
    log_in(user, "power-user")
    user.goto("/incidents/report/")
    form = user.get_by_test_id("report-form")
    options = form.locator("select[name=application] option")
    form.locator("select[name=application]").select_option(options.nth(1).get_attribute("value"))
    form.locator("input[name=title]").fill("浏览器报障：审批页面打不开")
    form.locator("select[name=impact_scope]").select_option("one_user")
    user.get_by_test_id("report-submit").click()
    user.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident_url = user.url
    assert "浏览器报障" in user.get_by_test_id("incident-title").inner_text()
    assert user.get_by_test_id("actions").count() == 0
    user.context.close()

    staff = browser.new_context(base_url=product_url, locale="zh-CN").new_page()
    staff.set_default_timeout(15000)
    log_in(staff, "power-admin")
    staff.goto(incident_url)

    def step(test_id):
        staff.get_by_test_id(test_id).click()
        staff.wait_for_load_state()

    step("to-acknowledged")
    step("to-diagnosing")
    staff.get_by_test_id("plan-form").locator("select[name=cause_category]").select_option("application")
    step("activate-plan")
    step("to-repairing")
    while staff.locator("[data-testid^=tick-]").count():
        step(staff.locator("[data-testid^=tick-]").first.get_attribute("data-testid"))
    step("to-verifying")
    while staff.locator("[data-testid^=pass-]").count():
        step(staff.locator("[data-testid^=pass-]").first.get_attribute("data-testid"))
    step("to-restored")
    form = staff.get_by_test_id("form-closed")
    form.locator("textarea[name=resolution_summary]").fill("重启应用服务后恢复")
    form.locator("select[name=fixed_for_good]").select_option("true")
    step("to-closed")
    assert staff.get_by_test_id("incident-state").inner_text() in ("已关闭", "Closed")
    assert staff.get_by_test_id("actions").count() == 0
    timeline = staff.get_by_test_id("timeline").inner_text()
    assert "重启应用服务后恢复" in staff.content() and timeline
    staff.screenshot(path=str(SCREENSHOTS / "incident-closed.png"), full_page=True)
    staff.context.close()
