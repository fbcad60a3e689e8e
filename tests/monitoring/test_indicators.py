"""Indicators (Art. 3 (1)): figures per day and month from the roll-ups (unknown, maintenance and no data
left out of availability and shown beside it), backup age and success rate (a run not trusted never
good), the daily evaluation recording and telling a breach once, and bad input refused naming its field."""

import datetime
import ssl

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yunwei.audit.models import AuditEvent
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.monitoring import services
from yunwei.monitoring.models import Check, CheckRollup, Indicator, IndicatorBreach
from yunwei.monitoring.services import indicators, rollups
from yunwei.notify.models import Delivery, Notice

from ..conftest import make_item
from .targets import free_port, https_server, self_signed_certificate

MARCH = "2026-03"
AFTER_MARCH = datetime.datetime(2026, 4, 10, 4, 0, tzinfo=datetime.UTC)
H = 3600.0


def day(n: int) -> datetime.date:
    return datetime.date(2026, 3, n)


def _check(actor, item, name="甲数据库端口") -> Check:
    check = services.create(
        Check, actor=actor, item=item, name=name, kind="tcp", spec={"host": "127.0.0.1", "port": free_port()}
    )
    # Declared before March, so the days of March without a roll-up are days without data.
    Check.objects.filter(pk=check.pk).update(created_at=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC))
    return check


def _rollup(check, n: int, **seconds) -> CheckRollup:
    seconds.setdefault("no_data_seconds", 86400 - sum(seconds.values()))
    return CheckRollup.objects.create(
        active_check=check, period="day", start=indicators.day_start(day(n)), **seconds
    )


@pytest.fixture
def indicator_a(group_admin, db_server_a) -> Indicator:
    return services.create(
        Indicator,
        actor=group_admin,
        item=db_server_a,
        name="甲数据库可用性",
        availability_target="99.5",
        latency_target_ms=200,
        backup_age_target_hours=26,
        backup_success_target="90",
    )


def test_availability_leaves_out_unknown_maintenance_and_no_data_and_shows_them(
    group_admin, db_server_a, indicator_a
):
    port, other = _check(group_admin, db_server_a), _check(group_admin, db_server_a, "甲数据库登录")
    _rollup(port, 1, up_seconds=20 * H, down_seconds=1 * H, unknown_seconds=2 * H, maintenance_seconds=1 * H)
    _rollup(other, 1, up_seconds=23 * H, no_data_seconds=1 * H)
    _rollup(port, 2, up_seconds=10 * H, unknown_seconds=14 * H)
    elsewhere = _check(group_admin, make_item(db_server_a.unit, "application", "OTHER", actor=group_admin))
    _rollup(elsewhere, 1, down_seconds=24 * H)  # a check of another item does not count

    period = indicators.figures(indicator_a, MARCH, now=AFTER_MARCH)
    first, second, third = period.days[0], period.days[1], period.days[2]
    assert (first.up_seconds, first.down_seconds) == (43 * H, 1 * H)
    assert (first.unknown_seconds, first.maintenance_seconds, first.no_data_seconds) == (2 * H, 1 * H, 1 * H)
    assert first.availability == pytest.approx(100 * 43 / 44)
    assert first.availability == CheckRollup(up_seconds=43 * H, down_seconds=1 * H).availability
    assert second.availability == 100.0 and second.unknown_seconds == 14 * H
    # A day with no roll-up at all: both checks' whole day is no data, and there is no availability.
    assert third.availability is None and third.no_data_seconds == 2 * 86400
    assert len(period.days) == 31
    total = period.total
    assert (total.up_seconds, total.down_seconds, total.unknown_seconds) == (53 * H, 1 * H, 16 * H)
    assert total.maintenance_seconds == 1 * H
    assert total.no_data_seconds == 1 * H + 86400 + 29 * 2 * 86400  # the 2nd: one check silent all day
    assert total.availability == pytest.approx(100 * 53 / 54)
    row = next(row for row in period.rows if row["figure"] == "availability")
    assert row["missed"] and float(row["target"]) == 99.5


def test_chosen_checks_count_instead_of_the_item_s(group_admin, db_server_a, indicator_a):
    port, other = _check(group_admin, db_server_a), _check(group_admin, db_server_a, "甲数据库登录")
    _rollup(port, 1, up_seconds=24 * H)
    _rollup(other, 1, down_seconds=24 * H)
    services.update(indicator_a, actor=group_admin, expected_version=1, checks=[port])
    assert indicators.figures(indicator_a, MARCH, now=AFTER_MARCH).days[0].availability == 100.0
    updates = AuditEvent.objects.filter(action="update", object_id=str(indicator_a.pk))
    assert {"checks": [port.pk]} in [event.after for event in updates]


def test_latency_and_certificate_days_are_read_from_the_rollups(group_admin, db_server_a, indicator_a):
    port, other = _check(group_admin, db_server_a), _check(group_admin, db_server_a, "甲网站")
    _rollup(port, 1, up_seconds=24 * H)
    _rollup(other, 1, up_seconds=24 * H)
    CheckRollup.objects.filter(active_check=port).update(latency_count=10, latency_sum_ms=1000.0)
    CheckRollup.objects.filter(active_check=other).update(
        latency_count=30, latency_sum_ms=9000.0, cert_days_min=12.5
    )
    first = indicators.figures(indicator_a, MARCH, now=AFTER_MARCH).days[0]
    assert first.latency_mean_ms == pytest.approx(10000 / 40)  # pooled over the samples, not per check
    assert first.cert_days_min == 12.5


def _backup(backup_a, at: datetime.datetime, *, run_seconds=120, size="2000000", kind="success"):
    services.ping(backup_a.uuid, "start", limit=100, now=at - datetime.timedelta(seconds=run_seconds))
    return services.ping(backup_a.uuid, kind, limit=100, size_header=size, now=at)


def test_backup_age_and_success_rate_never_count_a_run_not_trusted(backup_a, indicator_a):
    noon = datetime.time(4, 0, tzinfo=datetime.UTC)  # 12:00 in Shanghai
    good = _backup(backup_a, datetime.datetime.combine(day(1), noon))
    too_fast = _backup(backup_a, datetime.datetime.combine(day(2), noon), run_seconds=10)
    failed = _backup(backup_a, datetime.datetime.combine(day(3), noon), kind="fail")
    assert good.is_good_backup and not too_fast.trusted and not failed.succeeded
    days = indicators.figures(indicator_a, MARCH, now=AFTER_MARCH).days
    assert (days[0].backups_good, days[0].backups_finished, days[0].backup_success) == (1, 1, 100.0)
    assert (days[1].backups_good, days[1].backups_finished, days[1].backup_success) == (0, 1, 0.0)
    assert (days[2].backups_good, days[2].backups_finished) == (0, 1)
    assert days[3].backup_success is None  # no run finished: no rate, the age tells
    # Age at the end of each day (midnight in Shanghai) from the one good backup, at 12:00 on the 1st.
    assert days[0].backup_age_hours == pytest.approx(12)
    assert days[1].backup_age_hours == pytest.approx(36)  # the too-fast run did not reset it
    assert days[2].backup_age_hours == pytest.approx(60)
    total = indicators.figures(indicator_a, MARCH, now=AFTER_MARCH).total
    assert (total.backups_good, total.backups_finished) == (1, 3)
    assert total.backup_age_hours == pytest.approx(12 + 30 * 24)  # the worst day: the month's last


def test_the_figures_of_a_unit_are_a_few_queries_whatever_the_days_and_indicators(
    group_admin, db_server_a, backup_a, indicator_a, unit_a
):
    check = _check(group_admin, db_server_a)
    for n in range(1, 29):
        _rollup(check, n, up_seconds=24 * H)
    services.create(Indicator, actor=group_admin, item=db_server_a, name="甲数据库延迟", latency_target_ms=50)
    with CaptureQueriesContext(connection) as queries:
        periods = indicators.figures_for_unit(unit_a, MARCH, now=AFTER_MARCH)
    assert [p.total.availability for p in periods] == [100.0, 100.0]
    assert len(queries) <= 10


def test_a_missed_target_is_one_breach_a_day_told_to_the_item_s_team_once(
    group_admin, db_server_a, indicator_a, team_member_a, staff_a
):
    check = _check(group_admin, db_server_a)
    _rollup(check, 1, up_seconds=23 * H, down_seconds=1 * H)  # 95.8 % against 99.5 %
    _rollup(check, 2, up_seconds=24 * H)
    first = indicators.evaluate_day(day(1), now=AFTER_MARCH)
    again = indicators.evaluate_day(day(1), now=AFTER_MARCH)
    assert [(b.figure, b.day, b.target) for b in first] == [("availability", day(1), 99.5)]
    assert first[0].actual == pytest.approx(100 * 23 / 24)
    assert again == []
    assert indicators.evaluate_day(day(2), now=AFTER_MARCH) == []
    assert IndicatorBreach.objects.count() == 1
    key = f"indicator-breach:{indicator_a.pk}:availability:2026-03-01"
    notice = Notice.objects.get(event_key=key)
    assert "甲数据库可用性" in notice.subject_zh and "未达标" in notice.subject_zh
    assert "95.83" in notice.body_zh and "missed its target on 2026-03-01" in notice.body_en
    # The team owning the item is told; the unit's other staff, who are not of the team, are not.
    recipients = sorted(Delivery.objects.filter(event_key=key).values_list("recipient", flat=True))
    assert recipients == ["a-ops@example.cn"]


def test_the_evaluation_by_default_holds_yesterday_once_its_last_hour_is_rolled_up(
    group_admin, db_server_a, indicator_a
):
    check = _check(group_admin, db_server_a)
    _rollup(check, 1, down_seconds=24 * H)
    just_after_midnight = datetime.datetime(2026, 3, 1, 16, 30, tzinfo=datetime.UTC)  # 00:30 on the 2nd
    assert indicators.evaluate_day(now=just_after_midnight) == []  # the 28th of February, not the 1st
    settled = datetime.datetime(2026, 3, 1, 18, 0, tzinfo=datetime.UTC)  # 02:00 on the 2nd
    assert [b.day for b in indicators.evaluate_day(now=settled)] == [day(1)]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"availability_target": "120"}, "availability_target", "percentage"),
        ({"backup_success_target": "0"}, "backup_success_target", "percentage"),
        ({"latency_target_ms": 0}, "latency_target_ms", "between 1 and"),
        ({"name": " "}, "name", "required"),
        ({"item": None}, "item", "inventory item"),
    ],
)
def test_bad_input_is_refused_naming_the_field(group_admin, db_server_a, fields, field, message):
    with pytest.raises(DomainError) as refused:
        services.create(Indicator, actor=group_admin, **{"item": db_server_a, "name": "甲指标", **fields})
    assert refused.value.field == field and message in refused.value.message
    assert not Indicator.objects.exists()


def test_a_check_of_another_unit_is_refused_and_a_plain_user_may_not_declare(
    group_admin, db_server_a, unit_b, unit_user_a
):
    foreign = _check(group_admin, make_item(unit_b, "application", "YI-OA", actor=group_admin))
    with pytest.raises(DomainError) as refused:
        services.create(Indicator, actor=group_admin, item=db_server_a, name="甲指标", checks=[foreign])
    assert refused.value.field == "checks" and "item's unit" in refused.value.message
    with pytest.raises(PermissionDenied):
        services.create(Indicator, actor=unit_user_a, item=db_server_a, name="甲指标")
    assert not Indicator.objects.exists()


def test_people_s_acts_are_audited_and_breaches_are_not(group_admin, db_server_a, indicator_a):
    check = _check(group_admin, db_server_a)
    _rollup(check, 1, down_seconds=24 * H)
    before = AuditEvent.objects.count()
    indicators.evaluate_day(day(1), now=AFTER_MARCH)
    assert AuditEvent.objects.count() == before
    assert AuditEvent.objects.filter(action="create", object_id=str(indicator_a.pk)).exists()
    pk = indicator_a.pk
    assert IndicatorBreach.objects.filter(indicator_id=pk).exists()
    services.delete(indicator_a, actor=group_admin)
    assert not IndicatorBreach.objects.exists()  # machine data read off the indicator goes with it
    assert AuditEvent.objects.filter(action="delete", object_id=str(pk)).exists()


def test_the_certificate_days_an_https_probe_reads_are_kept_and_today_counts_only_the_time_passed(
    group_admin, db_server_a, indicator_a, tmp_path
):
    cert, key = self_signed_certificate(tmp_path, days=20)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    ran_at = datetime.datetime(2026, 3, 5, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Shanghai
    with https_server(context) as port:
        check = services.create(
            Check,
            actor=group_admin,
            item=db_server_a,
            name="甲网站",
            kind="http",
            spec={"url": f"https://127.0.0.1:{port}/", "ca_bundle": str(cert), "timeout": 2},
        )
        result = services.run_check(check.pk, now=ran_at)
    assert result.status == "up", result.reason
    assert 19.9 < result.cert_days_left <= 20
    rollups.roll_up_hour(rollups.hour_of(ran_at))
    rollups.roll_up_day(rollups.day_of(ran_at))
    assert CheckRollup.objects.get(active_check=check, period="day").cert_days_min == result.cert_days_left
    # Half past ten on the 5th: the day so far is 10.5 h, not 24; the hours to come are not "no data".
    today = indicators.figures(indicator_a, MARCH, now=ran_at + datetime.timedelta(minutes=30)).days[-1]
    assert today.first == day(5)
    assert today.cert_days_min == result.cert_days_left
    assert today.up_seconds == 60 and today.up_seconds + today.no_data_seconds == 10.5 * H
