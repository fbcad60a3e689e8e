"""Browser: on the portal a user searches the knowledge base; making a request, they type its title and
the knowledge base's articles that may answer it appear under the field; they open one (issue 26
item 6)."""

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser


def test_typing_a_request_title_suggests_articles_and_one_opens(page):
    log_in(page, "power-user")
    page.goto("/servicedesk/")
    page.get_by_test_id("knowledge-q").fill("备份")
    with page.expect_navigation():
        page.get_by_test_id("knowledge-q").press("Enter")
    expect(page.get_by_test_id("articles")).to_contain_text("数据备份检查清单")
    page.goto("/servicedesk/")
    page.get_by_test_id("type-support").click()
    box = page.get_by_test_id("knowledge-suggestions")
    expect(box).to_be_hidden()
    title = page.get_by_test_id("request-form").locator("input[name=title]")
    title.press_sequentially("备份", delay=80)
    suggestion = box.get_by_test_id("suggestion").filter(has_text="数据备份检查清单")
    expect(suggestion).to_be_visible()
    # The list sits under the title field, inside its block.
    expect(page.locator(".mb-3:has(input[name=title]) [data-testid=knowledge-suggestions]")).to_be_visible()
    expect(box).not_to_contain_text("煤业公司")  # another unit's article is never suggested
    page.screenshot(path=str(SCREENSHOTS / "servicedesk-knowledge-suggest.png"), full_page=True)
    with page.context.expect_page() as opened:
        suggestion.click()
    article = opened.value
    article.wait_for_load_state()
    expect(article.get_by_test_id("article-body")).to_be_visible()
    expect(article.get_by_role("heading", level=1)).to_contain_text("数据备份检查清单")
    # Clearing the title clears the list.
    title.fill("")
    expect(box).to_be_hidden()
