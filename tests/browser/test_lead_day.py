"""Browser: the system management lead's day. A unit admin submits a change; the lead finds the request in
their inbox (the count in the top bar), goes to My work and to the change list's "awaiting my decision",
opens the change and approves it; it leaves both lists; a rectification declared done waits on the lead's
verification on My work. Screenshots of My work, the inbox and the dashboard's
charts at 1366 and 390 pixels wide, in both languages."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser


def _new_page(browser, product_url, username, *, width=1366, locale="zh-CN"):
    page = browser.new_context(
        base_url=product_url, locale=locale, viewport={"width": width, "height": 900}
    ).new_page()
    page.set_default_timeout(15000)
    log_in(page, username)
    return page


def _submit_change(page) -> tuple[str, str]:
    day = datetime.date.today() + datetime.timedelta(days=80)
    page.goto("/changes/new/")
    form = page.get_by_test_id("change-form")
    form.locator("select[name=unit]").select_option(index=1)
    form.locator("input[name=title]").fill("浏览器：领导的一天，调整缓存参数")
    form.locator("select[name=change_type]").select_option("configuration")
    form.locator("select[name=affected_items]").select_option(index=0)
    form.locator("textarea[name=reason]").fill("缓存命中率低")
    form.locator("textarea[name=implementation_plan]").fill("调整缓存大小并重启")
    form.locator("textarea[name=test_plan]").fill("抽查公文流转")
    form.locator("textarea[name=rollback_plan]").fill("恢复原配置")
    form.locator("input[name=planned_start]").fill(f"{day.isoformat()}T21:00")
    form.locator("input[name=planned_end]").fill(f"{day.isoformat()}T22:00")
    form.locator("select[name=service_impact]").select_option("none")
    page.get_by_test_id("save-change").click()
    page.wait_for_url(re.compile(r"/changes/\d+/$"))
    url = page.url
    page.get_by_test_id("to-submitted").click()
    page.wait_for_load_state()
    number = int(re.search(r"/changes/(\d+)/$", url).group(1))
    code = f"CHG{number:06d}"
    return url, code


def test_the_leads_day_inbox_then_awaiting_my_decision_then_approve(browser, product_url):
    admin = _new_page(browser, product_url, "power-admin")
    change_url, code = _submit_change(admin)
    admin.context.close()

    lead = _new_page(browser, product_url, "lead")
    lead.goto("/")
    expect(lead.get_by_test_id("inbox-count")).to_be_visible()
    lead.get_by_test_id("inbox-link").click()
    lead.wait_for_url(re.compile(r"/inbox/$"))
    notice = lead.get_by_test_id("inbox").locator(".list-group-item", has_text=code).first
    expect(notice.get_by_test_id("unread")).to_be_visible()
    lead.screenshot(path=str(SCREENSHOTS / "inbox-zh-1366.png"), full_page=True)

    # The notice is also on My work, under the decisions waiting on the lead, with its deadline.
    lead.get_by_role("link", name="我的工作").first.click()
    lead.wait_for_url(re.compile(r"/my/$"))
    expect(lead.get_by_test_id("section-changes-to-decide").get_by_test_id(f"entry-{code}")).to_be_visible()
    lead.screenshot(path=str(SCREENSHOTS / "my-work-zh-1366.png"), full_page=True)
    lead.get_by_test_id("section-changes-to-decide").get_by_role("link", name=re.compile("列表")).click()
    lead.wait_for_url(re.compile(r"awaiting_my_decision=true"))
    path = re.sub(r"^https?://[^/]+", "", change_url)
    lead.locator(f'main a[href="{path}"]').first.click()
    lead.wait_for_url(change_url)

    lead.get_by_test_id("decision-form").locator("textarea[name=comment]").fill("同意")
    lead.get_by_test_id("approve").click()
    lead.wait_for_load_state()
    expect(lead.get_by_test_id("decision-form")).to_have_count(0)
    lead.goto("/changes/?awaiting_my_decision=true")
    expect(lead.locator(f'main a[href="{path}"]')).to_have_count(0)
    lead.goto("/my/")
    expect(lead.get_by_test_id(f"entry-{code}")).to_have_count(0)

    # A rectification its owner declared done waits on the lead's verification (the owner never verifies).
    to_verify = lead.get_by_test_id("section-rectifications-to-verify")
    entry = to_verify.locator("tr[data-testid^=entry-RCT]").first
    expect(entry).to_be_visible()
    entry.get_by_role("link").first.click()
    lead.wait_for_url(re.compile(r"/logbook/rectifications/\d+/$"))
    expect(lead.locator("main")).to_contain_text("RCT")

    # Reading the notice from the inbox marks it read and opens the change.
    lead.goto("/inbox/")
    row = lead.get_by_test_id("inbox").locator(".list-group-item", has_text=code).first
    row.get_by_role("button").click()
    lead.wait_for_url(change_url)
    lead.goto("/inbox/")
    row = lead.get_by_test_id("inbox").locator(".list-group-item", has_text=code).first
    expect(row.get_by_test_id("unread")).to_have_count(0)

    lead.goto("/")
    lead.wait_for_selector("[data-testid=chart-incidents-by-grade][data-loaded=true]")
    lead.screenshot(path=str(SCREENSHOTS / "dashboard-charts-zh-1366.png"), full_page=True)
    lead.context.close()


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_my_work_inbox_and_charts_fit_the_screen(browser, product_url, width, locale):
    page = _new_page(browser, product_url, "lead", width=width, locale=locale)
    suffix = f"{locale[:2]}-{width}"
    for path, name in (("/my/", "my-work"), ("/inbox/", "inbox"), ("/", "dashboard")):
        page.goto(path)
        if path == "/":
            page.wait_for_selector("[data-testid=chart-changes-by-outcome][data-loaded=true]")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{suffix}.png"), full_page=True)
        # The page's own content is no wider than the screen (tables scroll inside their cards); the
        # top bar's width at 1366 px in English is issue 25's item 7, not this page's.
        overflow = page.evaluate(
            "(() => { const m = document.querySelector('main'); return m.scrollWidth - m.clientWidth; })()"
        )
        assert overflow <= 1, (path, width, overflow)
    page.context.close()
