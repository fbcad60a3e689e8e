"""Browser: a unit admin requests a change, the system management lead approves it, the admin schedules
it (it shows on the change calendar), carries it out and verifies it, and the lead reviews it. The admin is
a system management lead of their unit too for the walk, so only the rule keeps them from approving."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser


def _free_day(page) -> datetime.date:
    """A day well ahead that no freeze period covers (the demo declares one around the next holiday)."""
    freezes = page.request.get("/api/changes/freezes/?page_size=100").json()["results"]
    day = datetime.date.today() + datetime.timedelta(days=50)
    while any(f["starts_at"][:10] <= day.isoformat() <= f["ends_at"][:10] for f in freezes):
        day += datetime.timedelta(days=1)
    return day


def _new_page(browser, product_url, username):
    page = browser.new_context(
        base_url=product_url, locale="zh-CN", viewport={"width": 1366, "height": 900}
    ).new_page()
    page.set_default_timeout(15000)
    log_in(page, username)
    return page


@pytest.fixture
def requester_is_a_system_lead(browser, product_url):
    """The group admin makes power-admin a system management lead of their unit, the role that approves
    the walk's change, and takes the role back afterwards (the demo product is shared by the session)."""
    group_admin = _new_page(browser, product_url, "admin")
    group_admin.goto("/org/people/?q=power-admin")
    with group_admin.expect_navigation():
        group_admin.get_by_test_id("person-table").locator("tr", has_text="power-admin").get_by_role(
            "link"
        ).first.click()
    person_url = group_admin.url
    form = group_admin.get_by_test_id("assign-role-form")
    form.locator("select[name=role-role]").select_option("system_lead")
    with group_admin.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(group_admin.get_by_test_id("revoke-system_lead")).to_have_count(1)
    yield
    group_admin.goto(person_url)
    group_admin.once("dialog", lambda dialog: dialog.accept())
    group_admin.get_by_test_id("revoke-system_lead").click()
    expect(group_admin.get_by_test_id("revoke-system_lead")).to_have_count(0)
    group_admin.context.close()


def test_a_change_from_draft_to_reviewed_shows_on_the_calendar(
    browser, product_url, requester_is_a_system_lead
):
    admin = _new_page(browser, product_url, "power-admin")
    day = _free_day(admin)
    admin.goto("/changes/")
    admin.screenshot(path=str(SCREENSHOTS / "change-list.png"), full_page=True)
    admin.goto("/changes/new/")
    form = admin.get_by_test_id("change-form")
    form.locator("select[name=unit]").select_option(index=1)
    form.locator("input[name=title]").fill("浏览器变更：调整连接池参数")
    form.locator("select[name=change_type]").select_option("configuration")
    # The search box above the item list narrows it down to the applications.
    form.locator("input[data-filter-for=affected_items]").fill("app")
    shown = form.locator("select[name=affected_items]").evaluate(
        "select => [...select.options].filter(option => !option.hidden).map(option => option.text)"
    )
    assert shown and all("APP" in text for text in shown)
    form.locator("select[name=affected_items]").select_option(label=shown[0])
    form.locator("textarea[name=reason]").fill("高峰期连接数不足")
    form.locator("textarea[name=implementation_plan]").fill("修改连接池上限并重启服务")
    form.locator("textarea[name=test_plan]").fill("压测连接池并抽查公文流转")
    form.locator("textarea[name=rollback_plan]").fill("恢复原配置")
    form.locator("input[name=planned_start]").fill(f"{day.isoformat()}T21:00")
    form.locator("input[name=planned_end]").fill(f"{day.isoformat()}T23:00")
    form.locator("select[name=service_impact]").select_option("degraded")
    admin.get_by_test_id("save-change").click()
    admin.wait_for_load_state()
    admin.screenshot(path=str(SCREENSHOTS / "change-requested.png"), full_page=True)
    admin.wait_for_url(re.compile(r"/changes/\d+/$"))
    change_url = admin.url
    change_id = re.search(r"/changes/(\d+)/$", change_url).group(1)

    def step(page, test_id):
        page.get_by_test_id(test_id).click()
        page.wait_for_load_state()

    step(admin, "to-submitted")
    # The requester holds the approving role, yet never approves their own change.
    assert admin.get_by_test_id("decision-form").count() == 0

    lead = _new_page(browser, product_url, "lead")
    lead.goto(change_url)
    lead.get_by_test_id("decision-form").locator("textarea[name=comment]").fill("同意，注意观察")
    step(lead, "approve")
    assert lead.get_by_test_id("decision-form").count() == 0

    admin.goto(change_url)
    step(admin, "to-scheduled")
    assert admin.get_by_test_id("to-implementing").count() == 1  # scheduled: next comes the work
    admin.goto(f"/changes/calendar/?view=month&date={day.isoformat()}")
    entry = admin.get_by_test_id(f"calendar-change-{change_id}")
    assert "调整连接池参数" in entry.inner_text()
    admin.screenshot(path=str(SCREENSHOTS / "change-calendar.png"), full_page=True)
    admin.goto(f"/changes/calendar/?view=week&date={day.isoformat()}")
    assert admin.get_by_test_id(f"calendar-change-{change_id}").count() == 1

    admin.goto(change_url)
    step(admin, "to-implementing")
    step(admin, "to-verifying")
    admin.get_by_test_id("form-completed").locator("textarea[name=verification_result]").fill("压测通过")
    step(admin, "to-completed")

    lead.goto(change_url)
    lead.get_by_test_id("form-reviewed").locator("textarea[name=review]").fill("按计划完成，效果良好")
    step(lead, "to-reviewed")
    assert lead.get_by_test_id("change-state").inner_text() == "已评审"
    assert lead.get_by_test_id("actions").count() == 0
    timeline = lead.get_by_test_id("timeline").inner_text()
    assert "同意，注意观察" in timeline
    assert "按计划完成，效果良好" in lead.get_by_test_id("change-review").inner_text()
    lead.screenshot(path=str(SCREENSHOTS / "change-reviewed.png"), full_page=True)
    lead.context.close()
    admin.context.close()
