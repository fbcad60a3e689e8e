"""Browser: a user on a phone-width screen asks for an account for a new colleague on the portal, the
unit's system admin finds it in the queue, approves it and carries it out (the account opens), and the
user follows it, confirms it and rates it (Art. 10)."""

import re

import pytest

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _page(browser, product_url, username, viewport=None):
    page = browser.new_context(
        base_url=product_url, locale="zh-CN", viewport=viewport or {"width": 1366, "height": 900}
    ).new_page()
    page.set_default_timeout(15000)
    log_in(page, username)
    return page


def test_a_user_asks_on_the_portal_the_unit_admin_approves_and_the_user_rates(browser, product_url):
    user = _page(browser, product_url, "power-user", PHONE)
    user.goto("/servicedesk/")
    user.get_by_test_id("my-requests").wait_for()
    user.screenshot(path=str(SCREENSHOTS / "servicedesk-portal-phone.png"), full_page=True)
    # Nothing wider than the phone: the portal is usable at its width.
    assert user.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    user.get_by_test_id("type-open-account").click()
    form = user.get_by_test_id("request-form")
    form.locator("input[name=title]").fill("为新同事开通 OA 账号")
    form.locator("input[name=f_person_name]").fill("浏览器新同事")
    form.locator("input[name=f_username]").fill("browser-newcomer")
    form.locator("input[name=f_department]").fill("办公室")
    user.get_by_test_id("submit-request").click()
    user.wait_for_url(re.compile(r"/servicedesk/\d+/$"))
    request_url = user.url
    assert "等待受理" in user.get_by_test_id("state").inner_text()
    assert user.get_by_test_id("approve").count() == 0  # the requester never approves their own

    admin = _page(browser, product_url, "power-admin")
    admin.goto("/servicedesk/queue/")
    number = request_url.rstrip("/").rsplit("/", 1)[-1]
    admin.get_by_test_id(f"request-row-{number}").locator("a").click()
    admin.wait_for_url(re.compile(r"/servicedesk/\d+/$"))
    admin.get_by_test_id("approve").click()
    admin.wait_for_load_state()
    assert "已审批" in admin.get_by_test_id("state").inner_text()
    admin.get_by_test_id("carry-out").click()
    admin.wait_for_load_state()
    assert "browser-newcomer" in admin.locator("main").inner_text()  # the first password, shown once
    admin.screenshot(path=str(SCREENSHOTS / "servicedesk-request-admin.png"), full_page=True)
    admin.context.close()

    user.goto("/servicedesk/")
    assert "等待您确认" in user.get_by_test_id("my-requests").inner_text()
    user.goto(request_url)
    user.get_by_test_id("confirm").click()
    user.wait_for_load_state()
    assert "已关闭" in user.get_by_test_id("state").inner_text()
    user.locator("label[for=rating-5]").click()
    user.get_by_test_id("rate").click()
    user.wait_for_load_state()
    assert "5/5" in user.get_by_test_id("rating").inner_text()
    user.context.close()
