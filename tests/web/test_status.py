"""A unit's public status page (Art. 3, 13): off by default (404), turned on by the unit's system admin
(audited), readable without log-in, showing only its unit's availability, notices and planned windows,
and only their public fields."""

import datetime

import pytest
import time_machine
from django.utils import translation

from tests.conftest import make_user
from tests.incidents.topology import item, window
from yunwei.audit.models import AuditEvent
from yunwei.incidents import services as incidents
from yunwei.incidents.models import Notice
from yunwei.monitoring import services as monitoring
from yunwei.monitoring.models import Check, CheckRollup, Indicator
from yunwei.monitoring.services import indicators
from yunwei.org.choices import Role
from yunwei.web import status
from yunwei.web.models import StatusPage

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 15, 4, 0, tzinfo=datetime.UTC)


def _records(unit, actor, tag: str) -> dict:
    """An indicator with two days of this month rolled up, a suspension notice of an open fault, a
    recovery notice of yesterday, and a change whose window starts tomorrow — all of `unit`."""
    oa = item(unit, "oa-application", f"{tag}-OA", actor=actor, name=f"{tag}OA系统")
    check = monitoring.create(
        Check, actor=actor, item=oa, name=f"{tag}首页", kind="tcp", spec={"host": "127.0.0.1", "port": 9}
    )
    monitoring.create(Indicator, actor=actor, item=oa, name=f"{tag}OA可用率", availability_target="99.9")
    for day, down in ((datetime.date(2026, 12, 1), 0), (datetime.date(2026, 12, 2), 864)):
        CheckRollup.objects.create(
            active_check=check,
            period="day",
            start=indicators.day_start(day),
            up_seconds=86400 - down,
            down_seconds=down,
        )
    with time_machine.travel(NOW - datetime.timedelta(hours=2), tick=False):
        fault = incidents.report(
            actor=actor,
            unit=unit,
            title=f"{tag}机房断电",
            description=f"{tag}内部描述：UPS 电池老化",
            impact_scope="one_unit",
            started_at=NOW - datetime.timedelta(hours=2),
            affected_items=[oa],
        )
    # The notices as the flow writes them (services/notices.py::write_notice, in both languages).
    Notice.objects.create(
        incident=fault,
        kind="suspension",
        event_key=f"{tag}:suspension",
        subject={"zh-hans": f"【暂停使用】{tag}OA系统", "en": f"[Suspended] {tag} OA"},
        body={"zh-hans": f"{tag}OA系统暂停使用", "en": f"{tag} OA is suspended"},
        sent_at=NOW - datetime.timedelta(hours=1),
    )
    Notice.objects.create(
        incident=fault,
        kind="leader_report",
        event_key=f"{tag}:leader",
        subject={"zh-hans": f"{tag}领导报告", "en": f"{tag} leader report"},
        body={"zh-hans": f"{tag}领导报告正文", "en": f"{tag} leader report body"},
        sent_at=NOW - datetime.timedelta(hours=1),
    )
    change = window(
        unit,
        [oa],
        NOW + datetime.timedelta(days=1),
        NOW + datetime.timedelta(days=1, hours=2),
        title=f"{tag}数据库升级",
    )
    change.implementation_plan = f"{tag}变更内部方案"
    change.save(update_fields=["implementation_plan"])
    later = NOW + datetime.timedelta(days=20)
    window(unit, [oa], later, later + datetime.timedelta(days=1), title=f"{tag}远期变更")
    return {"oa": oa, "fault": fault, "change": change}


@pytest.fixture
def unit_admin_a(unit_a):
    return make_user("a-admin", unit_a, Role.UNIT_ADMIN)


def _get(client, url, **extra):
    with time_machine.travel(NOW, tick=False):
        return client.get(url, **extra)


def test_a_status_page_is_off_by_default_and_answers_404_like_a_unit_that_does_not_exist(client, unit_a):
    off = _get(client, "/status/unit-a/")
    missing = _get(client, "/status/no-such-unit/")

    assert off.status_code == 404 and missing.status_code == 404
    assert unit_a.name not in off.content.decode()


def test_the_unit_admin_turns_it_on_audited_and_anyone_reads_it_without_log_in(client, unit_a, unit_admin_a):
    client.force_login(unit_admin_a)
    client.post(f"/status-pages/{unit_a.pk}/", {"enabled": "on"})

    row = StatusPage.objects.get(unit=unit_a)
    assert row.enabled
    assert AuditEvent.objects.filter(object_type__endswith="statuspage", object_id=str(row.pk)).exists()
    client.logout()
    assert _get(client, "/status/unit-a/").status_code == 200

    client.force_login(unit_admin_a)
    client.post(f"/status-pages/{unit_a.pk}/")
    client.logout()
    assert _get(client, "/status/unit-a/").status_code == 404


def test_a_plain_user_cannot_turn_on_their_units_page(client, unit_a, unit_user_a):
    client.force_login(unit_user_a)

    response = client.post(f"/status-pages/{unit_a.pk}/", {"enabled": "on"})

    assert response.status_code == 404
    assert not StatusPage.objects.filter(unit=unit_a).exists()


def test_the_service_refuses_someone_who_does_not_manage_the_unit_naming_the_rule(unit_a, unit_user_a):
    with translation.override("en"), pytest.raises(status.PermissionDenied, match="system admin"):
        status.set_enabled(unit_a, actor=unit_user_a, enabled=True)
    assert not StatusPage.objects.filter(unit=unit_a).exists()


def test_the_page_shows_availability_current_notices_and_planned_windows_of_its_unit(
    client, unit_a, group_admin
):
    _records(unit_a, group_admin, "甲")
    status.set_enabled(unit_a, actor=group_admin, enabled=True)

    page = _get(client, "/status/unit-a/").content.decode()

    assert "甲OA可用率" in page and "99.500%" in page  # 864 s down of 2 days
    assert "【暂停使用】甲OA系统" in page
    assert "甲数据库升级" in page
    assert "甲远期变更" not in page  # beyond the next 7 days


def test_the_page_shows_no_internal_field(client, unit_a, group_admin):
    records = _records(unit_a, group_admin, "甲")
    status.set_enabled(unit_a, actor=group_admin, enabled=True)

    page = _get(client, "/status/unit-a/").content.decode()

    for internal in ("甲内部描述", "甲变更内部方案", "甲领导报告", "甲-OA", records["fault"].code, "甲首页"):
        assert internal not in page, internal


def test_one_units_status_page_never_shows_another_units_data(client, unit_a, unit_b, group_admin):
    _records(unit_a, group_admin, "甲")
    _records(unit_b, group_admin, "乙")
    status.set_enabled(unit_a, actor=group_admin, enabled=True)
    status.set_enabled(unit_b, actor=group_admin, enabled=True)

    page_a = _get(client, "/status/unit-a/").content.decode()
    page_b = _get(client, "/status/unit-b/").content.decode()

    assert "甲OA可用率" in page_a and "乙" not in page_a
    assert "乙OA可用率" in page_b and "甲" not in page_b


def test_a_recovered_fault_shows_its_recovery_notice_not_its_suspension(client, unit_a, group_admin):
    records = _records(unit_a, group_admin, "甲")
    status.set_enabled(unit_a, actor=group_admin, enabled=True)
    type(records["fault"]).objects.filter(pk=records["fault"].pk).update(state="restored")
    Notice.objects.create(
        incident=records["fault"],
        kind="recovery",
        event_key="甲:recovery",
        subject={"zh-hans": "【恢复使用】甲OA系统", "en": "[Restored] 甲 OA"},
        body={"zh-hans": "甲OA系统已恢复", "en": "甲 OA is back"},
        sent_at=NOW - datetime.timedelta(minutes=10),
    )

    page = _get(client, "/status/unit-a/").content.decode()

    assert "【恢复使用】甲OA系统" in page and "【暂停使用】" not in page


def test_the_page_speaks_english_on_request(client, unit_a, group_admin):
    _records(unit_a, group_admin, "甲")
    status.set_enabled(unit_a, actor=group_admin, enabled=True)

    english = _get(client, "/status/unit-a/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = _get(client, "/status/unit-a/").content.decode()

    assert "Availability this month" in english and "[Suspended] 甲 OA" in english
    assert "本月可用率" in chinese and "【暂停使用】甲OA系统" in chinese
