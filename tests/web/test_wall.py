"""The duty-room wall (Art. 3, 13): each application with the state of its chain, its firing alerts and
open incidents, scoped to the reader, in a fixed number of queries, in both languages."""

import datetime
import json
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.alerts.conftest import am_alert, am_payload, make_integration
from tests.conftest import make_user
from tests.incidents.topology import depends, item, window
from yunwei.alerts import services as alerts
from yunwei.core import watch
from yunwei.core.beat import record_tick
from yunwei.core.tasks import record_worker_heartbeat
from yunwei.incidents import services as incidents
from yunwei.incidents import signals
from yunwei.monitoring import services as monitoring
from yunwei.monitoring.models import Check, Heartbeat
from yunwei.org.choices import Role
from yunwei.web.wall import board

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 12, 7, 2, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _no_cached_watch():
    cache.delete(watch.CACHE_KEY)
    yield
    cache.delete(watch.CACHE_KEY)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def _check(target, actor, name="端口检查", state=None) -> Check:
    check = monitoring.create(
        Check, actor=actor, item=target, name=name, kind="tcp", spec={"host": "127.0.0.1", "port": 9}
    )
    if state:
        # The state the damping leaves on the check (machine data, never written by people).
        Check.objects.filter(pk=check.pk).update(state=state)
    return check


@pytest.fixture
def chain_a(unit_a, group_admin):
    """OA of unit A runs on a server, which hangs off a switch; each watched by a check that is up."""
    oa = item(unit_a, "oa-application", "JIA-OA", actor=group_admin, name="甲单位OA")
    server = item(unit_a, "server", "JIA-SRV", actor=group_admin, name="甲单位服务器")
    switch = item(unit_a, "switch", "JIA-SW", actor=group_admin, name="甲单位交换机")
    depends(oa, server, actor=group_admin)
    depends(server, switch, actor=group_admin)
    checks = {key: _check(each, group_admin, state="up") for key, each in (("oa", oa), ("server", server))}
    return {"oa": oa, "server": server, "switch": switch, "checks": checks}


def _tile(tiles, code):
    return next(tile for tile in tiles if tile.item.code == code)


def _tiles_on_page(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-code="([^"]+)" data-state="([^"]+)"', html))


def test_a_check_down_upstream_turns_the_application_down_and_names_the_item(chain_a, group_admin, english):
    Check.objects.filter(pk=chain_a["checks"]["server"].pk).update(state="down")

    tile = _tile(board(group_admin), "JIA-OA")

    assert tile.state == "down"
    assert [(code, why) for code, _name, why in tile.failing] == [("JIA-SRV", "check down")]
    assert tile.chain_size == 3


def test_a_chain_whose_checks_are_all_up_is_normal_and_one_without_any_is_not_watched(
    chain_a, unit_a, group_admin
):
    item(unit_a, "application", "JIA-HR", actor=group_admin, name="甲单位人事")

    tiles = board(group_admin)

    assert _tile(tiles, "JIA-OA").state == "ok"
    assert _tile(tiles, "JIA-HR").state == "unwatched"


def test_a_late_heartbeat_of_the_chain_is_a_warning(chain_a, unit_a, group_admin):
    heartbeat = monitoring.create(
        Heartbeat, actor=group_admin, unit=unit_a, item=chain_a["switch"], name="交换机配置备份"
    )
    Heartbeat.objects.filter(pk=heartbeat.pk).update(state="late")

    tile = _tile(board(group_admin), "JIA-OA")

    assert tile.state == "warning"
    assert [code for code, _n, _w in tile.failing] == ["JIA-SW"]


def test_a_signal_upstream_shows_its_incident_to_confirm_first(chain_a, unit_a, group_admin):
    earlier = incidents.report(
        actor=group_admin,
        unit=unit_a,
        title="OA 登录慢",
        impact_scope="one_department",
        started_at=T0 - datetime.timedelta(hours=1),
        affected_items=[chain_a["oa"]],
        now=T0 - datetime.timedelta(hours=1),
    )
    signal = signals.fire(source="check", key="check:server", item=chain_a["server"], at=T0, summary="宕机")

    tile = _tile(board(group_admin), "JIA-OA")

    assert tile.state == "down"
    assert tile.signals == 1
    assert [i.pk for i in tile.incidents] == [signal.incident_id, earlier.pk]
    assert tile.incidents[0].state == "to_confirm"
    assert tile.to_confirm == 1


def test_a_signal_held_by_a_change_window_shows_maintenance_not_down(chain_a, unit_a, group_admin, english):
    window(unit_a, [chain_a["server"]], T0 - datetime.timedelta(hours=1), T0 + datetime.timedelta(hours=1))
    with time_machine.travel(T0, tick=False):
        signals.fire(source="check", key="check:server", item=chain_a["server"], at=T0)

        tile = _tile(board(group_admin), "JIA-OA")

    assert tile.state == "maintenance"
    assert tile.incidents == []
    assert [why for _c, _n, why in tile.failing] == ["held by a maintenance window"]


def test_firing_alerts_of_the_chain_are_counted_and_resolved_ones_are_not(chain_a, unit_a, group_admin):
    integration = make_integration(unit_a, group_admin)
    alerts.create_rule(
        actor=group_admin, integration=integration, label="code", field="code", sample={"code": "JIA-SRV"}
    )
    firing = [
        am_alert(name="DiskFull", code="JIA-SRV", fingerprint="a1"),
        am_alert(name="LoadHigh", code="JIA-SRV", fingerprint="a2"),
    ]
    resolved = am_alert(status="resolved", name="Ping", code="JIA-SW", fingerprint="a3")
    alerts.receive(integration.token, "alertmanager", json.dumps(am_payload(*firing)).encode(), now=T0)
    alerts.receive(integration.token, "alertmanager", json.dumps(am_payload(resolved)).encode(), now=T0)

    assert _tile(board(group_admin), "JIA-OA").alerts == 2


def test_a_unit_user_sees_only_the_applications_of_their_unit(client, chain_a, unit_b, group_admin):
    item(unit_b, "oa-application", "YI-OA", actor=group_admin, name="乙单位OA")
    user_b = make_user("b-user", unit_b, Role.USER)
    client.force_login(user_b)

    page = client.get("/wall/").content.decode()

    assert _tiles_on_page(page) == {"YI-OA": "unwatched"}
    assert "甲单位OA" not in page and "JIA-" not in page


def test_a_failing_item_of_another_unit_counts_but_is_not_named(chain_a, unit_b, group_admin):
    shared = item(chain_a["oa"].unit.parent, "server", "GRP-SRV", actor=group_admin, name="集团服务器")
    yi_oa = item(unit_b, "oa-application", "YI-OA", actor=group_admin, name="乙单位OA")
    depends(yi_oa, shared, actor=group_admin)
    _check(shared, group_admin, state="down")
    user_b = make_user("b-user", unit_b, Role.USER)

    [tile] = board(user_b)

    assert tile.state == "down"
    assert tile.failing == [] and tile.hidden_failing == 1


def _seed(unit, actor, n):
    for index in range(n):  # half the servers down: the wall reads failing and healthy chains alike
        app = item(unit, "application", f"APP-{index}", actor=actor, name=f"应用{index}")
        server = item(unit, "server", f"SRV-{index}", actor=actor, name=f"服务器{index}")
        depends(app, server, actor=actor)
        _check(server, actor, name=f"检查{index}", state="down" if index % 2 else "up")
        signals.fire(source="check", key=f"check:{index}", item=server, at=T0)


def _queries(client, url="/wall/") -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_wall_reads_a_fixed_number_of_queries_whatever_the_number_of_applications(
    client, unit_a, group_admin, django_assert_max_num_queries
):
    _seed(unit_a, group_admin, 2)
    client.force_login(group_admin)
    client.get("/wall/")  # the session, the watch's cache and the type catalogue warmed alike
    few = _queries(client)
    assert few < 20
    for index in range(2, 14):
        app = item(unit_a, "application", f"APP-{index}", actor=group_admin, name=f"应用{index}")
        server = item(unit_a, "server", f"SRV-{index}", actor=group_admin, name=f"服务器{index}")
        depends(app, server, actor=group_admin)
        _check(server, group_admin, name=f"检查{index}", state="down")
        signals.fire(source="check", key=f"check:{index}", item=server, at=T0)

    with django_assert_max_num_queries(few):
        page = client.get("/wall/").content.decode()
    assert len(_tiles_on_page(page)) == 14


def test_the_wall_polls_its_board_alone(client, chain_a, group_admin):
    client.force_login(group_admin)

    page = client.get("/wall/", headers={"HX-Request": "true", "HX-Target": "wall-board"}).content.decode()

    assert 'data-testid="wall-tile"' in page
    assert "<html" not in page and 'hx-trigger="every' not in page


def test_the_full_wall_asks_to_be_refreshed(client, chain_a, group_admin):
    client.force_login(group_admin)

    page = client.get("/wall/").content.decode()

    assert 'hx-get="/wall/" hx-trigger="every 20s"' in page


def test_the_wall_speaks_chinese_by_default_and_english_on_request(client, chain_a, group_admin):
    Check.objects.filter(pk=chain_a["checks"]["server"].pk).update(state="down")
    client.force_login(group_admin)

    chinese = client.get("/wall/").content.decode()
    english = client.get("/wall/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "值班墙" in chinese and "故障" in chinese and "检查失败" in chinese
    assert "Duty-room wall" in english and "Down" in english and "check down" in english


def test_everyone_at_the_wall_sees_the_red_banner_when_monitoring_is_late(client, chain_a, unit_a):
    with time_machine.travel(T0, tick=False):
        record_tick()
        record_worker_heartbeat()
    user = make_user("a-user", unit_a, Role.USER)
    client.force_login(user)

    with time_machine.travel(T0 + 3 * watch.TICK, tick=False):
        page = client.get("/wall/").content.decode()

    assert 'data-testid="watch-banner"' in page and "yw-wall-banner" in page
    assert 'data-testid="wall-stale"' in page


def test_the_wall_needs_a_log_in(client):
    response = client.get("/wall/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
