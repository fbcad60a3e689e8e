"""Browser: the power company's system admin opens the duty-room wall from the navigation: its
applications stand in tiles with their state in words and colour, the chain's firing alerts and the
incident waiting to be confirmed; the wall asks for its board again by itself and swaps it in place."""

import pytest

from .conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.browser


def test_the_wall_shows_each_application_with_its_chain_state_and_refreshes_itself(page):
    log_in(page, "power-admin")
    page.get_by_role("link", name="值班墙").click()
    page.wait_for_url("**/wall/")
    tiles = page.get_by_test_id("wall-tile")
    assert tiles.count() >= 2
    # The demo's database server alert fires now: the applications running on it are down, in words.
    down = page.locator('[data-testid="wall-tile"][data-state="down"]')
    assert down.count() >= 1
    first = down.first
    assert first.get_by_test_id("tile-state").inner_text().strip() == "故障"
    assert "POWE-" in first.get_by_test_id("tile-failing").inner_text()
    assert "待确认" in first.get_by_test_id("tile-incidents").inner_text()
    assert int(first.get_by_test_id("tile-alerts").locator(".fw-bold").inner_text()) >= 1
    # Only the power company's applications (its demo ones and any a browser test made there): the
    # group's and the other units' demo applications never show.
    codes = [tiles.nth(i).get_attribute("data-code") for i in range(tiles.count())]
    assert any(code.startswith("POWE-") for code in codes), codes
    others = ("JT-", "COAL-", "LOGI-", "CHEM-")
    assert not [code for code in codes if code.startswith(others)], codes
    page.screenshot(path=str(SCREENSHOTS / "wall.png"), full_page=True)

    # The board is asked for again by htmx (its own request, the board alone) and swapped in place.
    def board_polled(response) -> bool:
        return response.url.endswith("/wall/") and response.request.headers.get("hx-request") == "true"

    with page.expect_response(board_polled, timeout=40000) as polled:
        pass
    assert polled.value.status == 200
    assert "<html" not in polled.value.text()
    page.wait_for_timeout(500)  # the swap settles
    assert page.get_by_test_id("wall-tile").count() == len(codes)


def test_a_unit_admin_turns_the_status_page_on_and_anyone_reads_it_without_log_in(page, browser, product_url):
    anonymous = browser.new_context(base_url=product_url, locale="zh-CN")
    try:
        outsider = anonymous.new_page()
        assert outsider.goto("/status/power/").status == 404

        log_in(page, "power-admin")
        page.goto("/status-pages/")
        page.get_by_test_id("status-on").click()
        page.wait_for_url("**/status-pages/")

        response = outsider.goto("/status/power/")
        assert response.status == 200
        assert "发电公司" in outsider.get_by_test_id("status-title").inner_text()
        assert outsider.get_by_test_id("status-availability").is_visible()
        assert "煤业公司" not in outsider.content()  # another unit's name never shows
        outsider.screenshot(path=str(SCREENSHOTS / "status-page.png"), full_page=True)
    finally:
        anonymous.close()
