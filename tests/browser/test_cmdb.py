"""Browser: a unit admin records a server and an application running on it, then finds the application
in the server's impact list and dependency graph."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import log_in

pytestmark = pytest.mark.browser


def test_application_running_on_a_new_server_shows_in_its_impact(page):
    log_in(page, "power-admin")
    page.goto("/cmdb/")
    page.get_by_test_id("item-create").click()
    page.get_by_test_id("type-server").click()
    page.fill("input[name=code]", "BR-SRV-1")
    page.fill("input[name=name]", "浏览器测试服务器")
    page.fill("input[name=attr_cpu_cores]", "16")
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(r"/cmdb/items/\d+/$"))
    server_url = page.url

    page.goto("/cmdb/items/new/")
    page.get_by_test_id("type-application").click()
    page.fill("input[name=code]", "BR-APP-1")
    page.fill("input[name=name]", "浏览器测试应用")
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(r"/cmdb/items/\d+/$"))
    form = page.get_by_test_id("relation-form")
    runs_on = form.locator("select[name=relation-type] option").filter(has_text=re.compile("^(Runs on|运行)"))
    form.locator("select[name=relation-type]").select_option(runs_on.first.get_attribute("value"))
    form.locator("select[name=relation-direction]").select_option("out")
    form.locator("input[name=relation-other]").fill("BR-SRV-1")
    page.get_by_test_id("relation-add").click()
    page.wait_for_load_state()

    page.goto(server_url)
    assert page.get_by_test_id("impact-down-BR-APP-1").is_visible()
    graph = page.get_by_test_id("item-graph")
    expect(page.locator("[data-testid=item-graph]")).to_have_attribute("data-ready", "true", timeout=60_000)
    assert graph.get_attribute("data-nodes") == "2"
    assert graph.locator("canvas").count() >= 1
