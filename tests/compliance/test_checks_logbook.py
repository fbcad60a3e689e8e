"""The duties read from the log books: Art. 5 (the month's review signed on time) and Art. 9 (backups
evidenced every day they were due, a restore drill within its period), each with a passing and a failing
case, judged for October 2026; the figures are computed here from what each test wrote."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from yunwei.compliance import checks, registry, scores, services
from yunwei.logbook.models import MonthlyReview, RestoreDrill
from yunwei.monitoring.models import Heartbeat, HeartbeatRun
from yunwei.org.models import Person

from .conftest import MONTH, NOW, judge

pytestmark = pytest.mark.django_db
OCTOBER = datetime.date(2026, 10, 1)
DAYS_IN_OCTOBER = 31


def _local(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_default_timezone())


def _due() -> datetime.date:
    """October's review is due on the configured day of November."""
    return datetime.date(2026, 11, settings.LOGBOOK_REVIEW_DUE_DAY)


def _review(unit, *, signed_on: datetime.date | None) -> MonthlyReview:
    return MonthlyReview.objects.create(
        unit=unit,
        month=OCTOBER,
        due_on=_due(),
        state="signed" if signed_on else "open",
        signed_at=_local(signed_on, 16) if signed_on else None,
    )


# -- Art. 5 ----------------------------------------------------------------------------------------


def test_a_review_signed_by_its_due_day_is_met(unit_a):
    _review(unit_a, signed_on=_due())
    result = judge("art5-review", unit_a)
    assert (result.article, result.judged, result.checked, result.failing) == (5, "met", 1, 0)
    assert not result.findings.exists()


def test_a_review_signed_after_its_due_day_is_partly_met_saying_how_late(unit_a, findings):
    signed_on = _due() + datetime.timedelta(days=3)
    _review(unit_a, signed_on=signed_on)
    result = judge("art5-review", unit_a)
    assert (result.judged, result.checked, result.failing) == ("partly_met", 1, 0)
    assert findings(result) == [
        ("logbook.review", unit_a.pk, f"Signed on {signed_on}, 3 days after its due day {_due()}")
    ]


def test_a_review_not_signed_past_its_due_day_is_not_met_and_links_the_review(unit_a, findings):
    _review(unit_a, signed_on=None)
    result = judge("art5-review", unit_a)
    assert (result.judged, result.checked, result.failing) == ("not_met", 1, 1)
    assert findings(result) == [("logbook.review", unit_a.pk, f"Not signed; due by {_due()}")]
    finding = result.findings.get()
    assert finding.label == "Review of 2026-10"


def test_a_month_nobody_opened_past_its_due_day_is_not_met(unit_a):
    result = judge("art5-review", unit_a)
    assert (result.judged, result.failing) == ("not_met", 1)


def test_a_month_not_signed_before_its_due_day_is_not_judged_yet(unit_a, unit_b):
    _review(unit_b, signed_on=datetime.date(2026, 11, 2))
    before_due = _local(_due(), 12)  # the due day itself is still on time
    written = services.judge(registry.BY_CODE["art5-review"], MONTH, [unit_a, unit_b], now=before_due)
    # Unit A has until the end of the due day: no result; unit B signed already: met.
    assert [(r.unit_id, r.judged) for r in written] == [(unit_b.pk, "met")]
    assert scores.score(unit_a, MONTH, 5).value is None


# -- Art. 9: backups evidenced ---------------------------------------------------------------------


def _backup_job(unit, name="数据库备份") -> Heartbeat:
    job = Heartbeat.objects.create(
        unit=unit,
        name=name,
        kind="backup",
        schedule_kind="cron",
        cron_expression="0 2 * * *",
        tz="Asia/Shanghai",
    )
    # Declared well before October: every day of October is due.
    Heartbeat.objects.filter(pk=job.pk).update(created_at=_local(datetime.date(2026, 9, 1)))
    return job


def _runs(job, skip=(), untrusted=()):
    for number in range(1, DAYS_IN_OCTOBER + 1):
        if number in skip:
            continue
        finished = _local(datetime.date(2026, 10, number), 2).replace(minute=20)
        HeartbeatRun.objects.create(
            heartbeat=job,
            kind="success",
            received_at=finished,
            started_at=finished - datetime.timedelta(minutes=15),
            succeeded=True,
            size=5000,
            trusted=number not in untrusted,
        )


def test_backups_evidenced_every_day_due_are_met(unit_a):
    _runs(_backup_job(unit_a))
    result = judge("art9-backups", unit_a)
    assert (result.article, result.judged, result.checked, result.failing) == (9, "met", DAYS_IN_OCTOBER, 0)


def test_each_day_without_trusted_evidence_is_a_finding_naming_the_job_and_the_day(unit_a, findings):
    job = _backup_job(unit_a)
    _runs(job, skip={5}, untrusted={9})
    result = judge("art9-backups", unit_a)
    assert (result.judged, result.checked, result.failing) == ("partly_met", DAYS_IN_OCTOBER, 2)
    assert findings(result) == [
        ("monitoring.heartbeat", job.pk, "No backup evidenced on 2026-10-05"),
        ("monitoring.heartbeat", job.pk, "No backup evidenced on 2026-10-09"),
    ]


def test_a_backup_job_that_left_no_evidence_at_all_is_not_met(unit_a):
    _backup_job(unit_a)
    result = judge("art9-backups", unit_a)
    assert (result.judged, result.checked, result.failing) == ("not_met", DAYS_IN_OCTOBER, DAYS_IN_OCTOBER)


def test_backups_the_group_runs_count_for_the_units_it_serves(group, unit_a, unit_b):
    """Unit A runs no backup of its own: it is not judged on its own duty, and the group's result (two gap
    days of 31) counts in its score of Art. 9 without being copied to it."""
    _runs(_backup_job(group, "集团 OA 备份"), skip={3, 4})
    _runs(_backup_job(unit_b, "乙单位备份"))
    own = services.judge(registry.BY_CODE["art9-backups"], MONTH, [group, unit_a, unit_b], now=NOW)
    by_group = services.judge(registry.BY_CODE["art9-group-backups"], MONTH, [group, unit_a, unit_b], now=NOW)
    assert sorted(r.unit_id for r in own) == sorted([group.pk, unit_b.pk])
    assert [(r.unit_id, r.judged, r.checked, r.failing) for r in by_group] == [
        (group.pk, "partly_met", DAYS_IN_OCTOBER, 2)
    ]
    # Unit A: the group's partly met only → ½ ÷ 1. Unit B: its own met and the group's partly met.
    assert scores.score(unit_a, MONTH, 9).value == Decimal(1) / 2 / 1
    assert scores.score(unit_b, MONTH, 9).value == (1 + Decimal(1) / 2) / 2


# -- Art. 9: restore drills ------------------------------------------------------------------------


def _drill(unit, day: datetime.date, outcome="passed") -> RestoreDrill:
    performer = Person.objects.create(unit=unit, name="甲技术员")
    verifier = Person.objects.create(unit=unit, name="甲管理员")
    return RestoreDrill.objects.create(
        unit=unit,
        occurred_at=_local(day, 14),
        recorded_at=_local(day, 16),
        subject="OA 数据库全量备份",
        restored_to="测试服务器",
        duration_minutes=40,
        performed_by=performer,
        verified_by=verifier,
        outcome=outcome,
    )


def _period_start() -> datetime.date:
    """The period ends with October: it starts the same day RESTORE_DRILL_MONTHS months before 1 November."""
    months = checks.RESTORE_DRILL_MONTHS
    index = 2026 * 12 + 10 - months  # November is month index 10 counted from 0
    return datetime.date(index // 12, index % 12 + 1, 1)


def test_a_passed_restore_drill_within_its_period_is_met(unit_a):
    _backup_job(unit_a)
    _drill(unit_a, _period_start() + datetime.timedelta(days=1))
    result = judge("art9-restore-drill", unit_a)
    assert (result.judged, result.checked, result.failing) == ("met", 1, 0)


def test_a_drill_older_than_its_period_leaves_the_duty_not_met(unit_a, findings):
    _backup_job(unit_a)
    _drill(unit_a, _period_start() - datetime.timedelta(days=1))
    result = judge("art9-restore-drill", unit_a)
    assert (result.judged, result.checked, result.failing) == ("not_met", 1, 1)
    [(kind, key, detail)] = findings(result)
    assert (kind, key) == ("logbook.month", unit_a.pk)
    assert str(_period_start()) in detail


def test_only_failed_drills_within_the_period_are_partly_met(unit_a, findings):
    _backup_job(unit_a)
    drill = _drill(unit_a, datetime.date(2026, 10, 20), outcome="failed")
    result = judge("art9-restore-drill", unit_a)
    assert (result.judged, result.failing) == ("partly_met", 0)
    assert findings(result)[0][:2] == ("logbook.drill", drill.pk)


def test_a_unit_without_backups_of_its_own_is_not_judged_on_drills(group, unit_a):
    _backup_job(group)
    _drill(group, datetime.date(2026, 10, 20))
    written = services.judge(registry.BY_CODE["art9-group-restore-drill"], MONTH, [group, unit_a], now=NOW)
    assert [(r.unit_id, r.judged) for r in written] == [(group.pk, "met")]
    assert services.judge(registry.BY_CODE["art9-restore-drill"], MONTH, [unit_a], now=NOW) == []
    assert scores.score(unit_a, MONTH, 9).value == 1
