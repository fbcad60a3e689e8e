"""Browser: the system management lead names a deputy (职务代理) for the coming days; the deputy opens
a change waiting for the lead's approval and approves it; the approval names both."""

import datetime

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser


def _context(browser, product_url, username):
    page = browser.new_context(
        base_url=product_url, locale="zh-CN", viewport={"width": 1366, "height": 900}
    ).new_page()
    page.set_default_timeout(15000)
    log_in(page, username)
    return page


def test_an_approver_names_a_deputy_who_approves_a_change(browser, product_url):
    lead = _context(browser, product_url, "lead")
    lead.goto("/accounts/deputies/")
    form = lead.get_by_test_id("delegation-form")
    tech_id = form.locator("select[name=deputy] option", has_text="(tech ").get_attribute("value")
    form.locator("select[name=deputy]").select_option(tech_id)
    start = datetime.datetime.now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
    form.locator("input[name=starts_at]").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name=ends_at]").fill((start + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name=reason]").fill("出差")
    with lead.expect_navigation():
        form.get_by_test_id("save").click()
    row = lead.get_by_test_id("delegation-row").filter(has_text="tech")
    expect(row).to_contain_text("生效中")
    try:
        deputy = _context(browser, product_url, "tech")
        deputy.goto("/accounts/deputies/")
        expect(deputy.get_by_test_id("acting-for")).to_be_visible()
        # A change waiting for the lead that the deputy may decide on (one the deputy did not request).
        listed = deputy.request.get("/api/changes/?state=submitted&page_size=100").json()["results"]
        change = next(
            c
            for c in (deputy.request.get(f"/api/changes/{row['id']}/").json() for row in listed)
            if c["may_decide"] and "system_lead" in c["needed_approvals"]
        )
        deputy.goto(f"/changes/{change['id']}/")
        with deputy.expect_navigation():
            deputy.get_by_test_id("decision-form").get_by_test_id("approve").click()
        expect(deputy.get_by_test_id("on-behalf-of").first).to_contain_text("代 lead")
        deputy.screenshot(path=str(SCREENSHOTS / "delegation-approved.png"), full_page=True)
        deputy.context.close()
    finally:
        # The product is shared by the session: the lead ends the delegation again.
        lead.goto("/accounts/deputies/")
        running = lead.get_by_test_id("delegation-row").filter(has_text="tech")
        with lead.expect_navigation():
            running.get_by_test_id("end").click()
        lead.context.close()
