"""Browser: a user searches the knowledge base in Chinese, opens an article and answers "was this
helpful?"."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser


def _tally(page) -> tuple[int, int]:
    yes, no = re.findall(r"\d+", page.get_by_test_id("tally").inner_text())
    return int(yes), int(no)


def test_a_user_searches_the_knowledge_base_and_votes(page):
    log_in(page, "power-user")
    page.goto("/")
    page.get_by_role("link", name="知识库").first.click()
    expect(page.get_by_role("heading", name="知识库")).to_be_visible()
    page.get_by_test_id("search").fill("备份")
    results = page.get_by_test_id("articles")
    expect(results).to_contain_text("数据备份检查清单")  # the power company's own article
    expect(results).to_contain_text("如何恢复误删的文档")  # the group's
    expect(results).not_to_contain_text("煤业公司")  # another unit's is not found
    page.get_by_test_id("search").fill("网")
    page.get_by_test_id("search").fill("流程")
    expect(results).to_contain_text("公文审批流程定制申请指南")
    page.screenshot(path=str(SCREENSHOTS / "knowledge-search.png"), full_page=True)
    with page.expect_navigation():
        results.get_by_text("公文审批流程定制申请指南").click()
    expect(page.get_by_test_id("article-body")).to_contain_text("技术审查")
    # The demo's readers answered already; this reader's answer is one of the counts, changed in place.
    with page.expect_navigation():
        page.get_by_test_id("vote-no").click()
    yes_before, no_before = _tally(page)
    with page.expect_navigation():
        page.get_by_test_id("vote-yes").click()
    expect(page.get_by_text("感谢您的评价。")).to_be_visible()
    expect(page.get_by_test_id("vote-yes")).to_have_class(re.compile(r"\bbtn-success\b"))
    assert _tally(page) == (yes_before + 1, no_before - 1)
    page.screenshot(path=str(SCREENSHOTS / "knowledge-article.png"), full_page=True)
