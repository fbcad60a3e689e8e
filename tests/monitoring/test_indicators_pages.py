"""The indicator pages, in zh-Hans and English: the list with each target beside this month's and last
month's figures, an indicator's days with what availability left out, its form (a bad target on its
field), and the breaches."""

import datetime

import pytest
from django.utils import timezone

from yunwei.monitoring import services
from yunwei.monitoring.models import Check, CheckRollup, Indicator
from yunwei.monitoring.services import indicators

from .targets import free_port

pytestmark = pytest.mark.django_db
H = 3600


@pytest.fixture
def check_a(group_admin, db_server_a) -> Check:
    return services.create(
        Check,
        actor=group_admin,
        item=db_server_a,
        name="甲数据库端口",
        kind="tcp",
        spec={"host": "127.0.0.1", "port": free_port()},
    )


@pytest.fixture
def indicator_a(group_admin, db_server_a, check_a) -> Indicator:
    indicator = services.create(
        Indicator, actor=group_admin, item=db_server_a, name="甲数据库可用性", availability_target="99.5"
    )
    # The 1st of last month: up 20 h, down 1 h, unknown 2 h, maintenance 1 h — a breach.
    first = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    CheckRollup.objects.create(
        active_check=check_a,
        period="day",
        start=indicators.day_start(first),
        up_seconds=20 * H,
        down_seconds=1 * H,
        unknown_seconds=2 * H,
        maintenance_seconds=1 * H,
    )
    indicators.evaluate_day(first)
    return indicator


def _last_month() -> tuple[str, str]:
    first = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    return first.strftime("%Y-%m"), first.isoformat()


def test_the_list_shows_the_target_beside_this_and_last_month(client, unit_user_a, indicator_a):
    client.force_login(unit_user_a)
    html = client.get("/monitoring/indicators/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = html.split(f'data-testid="indicator-row-{indicator_a.pk}-availability"')[1].split("</tr>")[0]
    assert "99.5 %" in row  # the target
    assert "95.238 %" in row  # last month: 20 / 21
    assert "New indicator" not in html  # a plain user sees, does not manage
    zh = client.get("/monitoring/indicators/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "运行指标" in zh and "可用率" in zh and "上月" in zh


def test_the_detail_shows_each_day_with_unknown_maintenance_and_no_data_beside(
    client, unit_user_a, indicator_a
):
    month, first = _last_month()
    client.force_login(unit_user_a)
    html = client.get(
        f"/monitoring/indicators/{indicator_a.pk}/", {"month": month}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    day = html.split(f'data-testid="day-{first}"')[1].split("</tr>")[0]
    assert "95.238 %" in day
    assert 'data-testid="unknown">2.00<' in day and 'data-testid="maintenance">1.00<' in day
    assert 'data-testid="no-data">0.00<' in day
    assert "left out: unknown 2.00 h, planned maintenance 1.00 h" in html
    assert "Availability" in html and "missed" in html
    zh = client.get(
        f"/monitoring/indicators/{indicator_a.pk}/", {"month": month}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "逐日数据" in zh and "未计入：未知 2.00 小时、计划维护 1.00 小时" in zh and "未达标" in zh
    bad = client.get(
        f"/monitoring/indicators/{indicator_a.pk}/", {"month": "2026-13"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert bad.status_code == 200 and "Give the month as YYYY-MM." in bad.content.decode()


def test_the_form_refuses_a_bad_target_on_its_field_and_saves_a_good_one(client, unit_admin_a, db_server_a):
    client.force_login(unit_admin_a)
    fields = {"item": db_server_a.pk, "name": "甲数据库指标", "availability_target": "120"}
    refused = client.post("/monitoring/indicators/new/", fields, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    assert refused.context["form"].errors["availability_target"] == [
        "Give a percentage above 0 and at most 100."
    ]
    assert not Indicator.objects.exists()
    zh = client.post("/monitoring/indicators/new/", fields, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.context["form"].errors["availability_target"] == ["请填写大于 0 且不超过 100 的百分比。"]
    created = client.post(
        "/monitoring/indicators/new/", {**fields, "availability_target": "99.9"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    indicator = Indicator.objects.get()
    assert created.url == f"/monitoring/indicators/{indicator.pk}/"
    edited = client.post(
        f"/monitoring/indicators/{indicator.pk}/edit/",
        {**fields, "availability_target": "99", "version": 1},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert edited.status_code == 302
    indicator.refresh_from_db()
    assert (float(indicator.availability_target), indicator.version) == (99.0, 2)
    deleted = client.post(f"/monitoring/indicators/{indicator.pk}/delete/")
    assert deleted.status_code == 302 and not Indicator.objects.exists()


def test_a_plain_user_may_not_open_the_form(client, unit_user_a, indicator_a):
    client.force_login(unit_user_a)
    assert client.get("/monitoring/indicators/new/").status_code == 403
    assert client.get(f"/monitoring/indicators/{indicator_a.pk}/edit/").status_code == 403
    assert client.post(f"/monitoring/indicators/{indicator_a.pk}/delete/").status_code == 403
    assert Indicator.objects.filter(pk=indicator_a.pk).exists()


def test_the_breaches_page_lists_each_missed_day(client, unit_user_a, indicator_a):
    _month, first = _last_month()
    client.force_login(unit_user_a)
    html = client.get("/monitoring/indicators/breaches/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    [breach] = indicator_a.breaches.all()
    row = html.split(f'data-testid="breach-row-{breach.pk}"')[1].split("</tr>")[0]
    assert first in row and "甲数据库可用性" in row and "Availability" in row and "95.24" in row
    zh = client.get("/monitoring/indicators/breaches/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "指标未达标记录" in zh and "可用率" in zh
    tabs = client.get("/monitoring/checks/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/monitoring/indicators/" data-testid="indicator-tab"' in tabs
