"""Log in, switch language, walk from units to people; a unit admin sees only their unit."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser


def test_login_switch_language_and_walk_from_units_to_people(page):
    log_in(page, "admin")
    page.screenshot(path=str(SCREENSHOTS / "dashboard-zh.png"), full_page=True)
    assert page.locator("h1").first.inner_text() == "首页"
    # The demo unit without a clerk is flagged on the dashboard (Art. 10).
    assert "化工公司" in page.get_by_test_id("flagged-units").inner_text()

    with page.expect_navigation():
        page.get_by_test_id("language-switch").select_option("en")
    assert page.locator("h1").first.inner_text() == "Dashboard"

    page.get_by_role("link", name="Organisation").click()
    page.get_by_role("link", name="化工公司").click()
    assert "Clerk" in page.get_by_test_id("staffing-flag").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "unit-en.png"), full_page=True)

    with page.expect_navigation():  # the units page has a search box too: fill the people's one
        page.get_by_role("link", name="People").first.click()
    page.fill("input[name=q]", "chem-user")
    page.keyboard.press("Enter")
    # The search answers in place and pushes its address (Enter and the key's release may both ask);
    # a pushed address counts as a navigation, so the test waits for the person's page itself.
    page.wait_for_url(re.compile(r"q=chem-user"))
    page.get_by_test_id("person-table").locator("tr", has_text="chem-user").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/org/people/\d+/$"))
    expect(page.locator("main")).to_contain_text("chem-user")
    # Phone shows masked until someone allowed asks to see it.
    assert "****" in page.get_by_test_id("person-phone").inner_text()

    with page.expect_navigation():
        page.get_by_test_id("language-switch").select_option("zh-hans")
    assert "人员" in page.content()
    page.screenshot(path=str(SCREENSHOTS / "person-zh.png"), full_page=True)


def test_unit_admin_sees_only_their_unit(page):
    log_in(page, "power-admin")
    page.goto("/org/units/")
    table = page.get_by_test_id("unit-table").inner_text()
    assert "发电公司" in table
    assert "煤业公司" not in table
    page.goto("/org/people/")
    assert "coal-user" not in page.content()
