"""The log books' write path (Art. 5): entries, rounds, escalation of readings, the signed month."""

import datetime

import pytest
from django.db import transaction
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from yunwei.audit.models import AuditEvent
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.incidents.models import Incident
from yunwei.logbook import facts, services
from yunwei.logbook.models import BackupEntry, LogNote, MonthlyReview, Reading, Round
from yunwei.monitoring import services as monitoring
from yunwei.monitoring.models import Heartbeat, HeartbeatRun
from yunwei.problems.models import Problem

from ..conftest import PASSWORD, make_item
from .conftest import FEBRUARY, MARCH, at, confirm_all, readings, sign_month, walk, walk_month

pytestmark = pytest.mark.django_db


def test_an_entry_keeps_when_it_happened_apart_from_when_it_was_recorded(unit_a, tech_a):
    # 2026-02-28 23:30 in Shanghai is 15:30 UTC: the entry belongs to February, recorded in March.
    late_evening = at(datetime.date(2026, 2, 28), 23).replace(minute=30)
    note = services.record_note(
        actor=tech_a, unit=unit_a, occurred_at=late_evening, kind="handover", text="交班：UPS 告警已复位"
    )
    assert note.occurred_at == late_evening
    assert note.recorded_at.date() == datetime.date(2026, 3, 15)
    assert facts.month_of(note.occurred_at) == FEBRUARY
    assert facts.month_of(at(MARCH, 0).replace(minute=30)) == MARCH


def test_a_plain_user_cannot_write_the_log_book(unit_a, unit_user_a):
    with pytest.raises(PermissionDenied):
        services.record_note(actor=unit_user_a, unit=unit_a, occurred_at=at(MARCH), kind="routine", text="x")
    assert not LogNote.objects.exists()


def test_an_entry_in_the_future_is_refused_naming_occurred_at(unit_a, tech_a):
    with pytest.raises(DomainError) as refused:
        services.record_note(
            actor=tech_a, unit=unit_a, occurred_at=at(datetime.date(2026, 3, 16)), kind="routine", text="x"
        )
    assert refused.value.field == "occurred_at"


def test_readings_out_of_limits_are_flagged(template, tech_a):
    round_ = walk(template, tech_a, datetime.date(2026, 3, 2), temperature="31", ups="85", quiet="no")
    flagged = {r.checkpoint.label: r.out_of_limits for r in round_.readings.select_related("checkpoint")}
    assert flagged == {"温度": True, "湿度": False, "UPS 负载": True, "无告警": True}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"temperature": "hot"}, "Reading “温度” must be a number."),
        ({"humidity": "nan"}, "Reading “湿度” is out of range."),
        ({"ups": "1e12"}, "Reading “UPS 负载” is out of range."),
        ({"quiet": "maybe"}, "Reading “无告警” must be yes or no."),
        ({"temperature": ""}, "Reading “温度” is missing."),
    ],
)
def test_a_reading_of_the_wrong_type_or_out_of_range_is_refused_and_nothing_written(
    template, tech_a, values, message
):
    with pytest.raises(DomainError) as refused:
        walk(template, tech_a, datetime.date(2026, 3, 2), **values)
    assert refused.value.field == "readings"
    assert refused.value.message == message
    assert not Round.objects.exists() and not Reading.objects.exists()


def test_an_out_of_limits_reading_becomes_an_incident_in_one_step_once(template, tech_a, unit_a, group_admin):
    template.location = make_item(unit_a, "application", "ROOM-1", actor=group_admin, name="一号机房")
    template.save()
    round_ = walk(template, tech_a, datetime.date(2026, 3, 14), temperature="31")
    hot = round_.readings.get(checkpoint__label="温度")
    reading = services.escalate_reading(hot, to="incident", actor=tech_a)
    incident = Incident.objects.get()
    assert reading.incident == incident and reading.escalated_to == "incident"
    assert incident.unit == unit_a and "31" in incident.title
    assert list(incident.affected_items.values_list("code", flat=True)) == ["ROOM-1"]
    with pytest.raises(TransitionNotAllowed, match="escalated already"):
        services.escalate_reading(hot, to="problem", actor=tech_a)
    assert not Problem.objects.exists()


def test_an_out_of_limits_reading_becomes_a_problem_and_one_within_limits_does_not(template, tech_a):
    round_ = walk(template, tech_a, datetime.date(2026, 3, 14), ups="90")
    with pytest.raises(TransitionNotAllowed, match="out of its limits"):
        services.escalate_reading(round_.readings.get(checkpoint__label="温度"), to="problem", actor=tech_a)
    reading = services.escalate_reading(
        round_.readings.get(checkpoint__label="UPS 负载"), to="problem", actor=tech_a
    )
    assert reading.problem.origin == "inspection"
    assert Problem.objects.count() == 1


def test_a_round_not_walked_on_its_day_shows_missing(template, tech_a, unit_a):
    walk_month(template, tech_a, FEBRUARY, skip={datetime.date(2026, 2, 10)})
    missing = facts.missing_rounds(unit_a, FEBRUARY)
    assert [(m.template.pk, m.day) for m in missing] == [(template.pk, datetime.date(2026, 2, 10))]
    # This month: the days over so far (1–14 March), none walked; today is not missing yet.
    assert [m.day.day for m in facts.missing_rounds(unit_a, MARCH)] == list(range(1, 15))


def _backup_job(unit, actor) -> Heartbeat:
    return monitoring.create(
        Heartbeat,
        actor=actor,
        unit=unit,
        name="数据库备份",
        kind="backup",
        schedule_kind="cron",
        cron_expression="0 2 * * *",
        tz="Asia/Shanghai",
        min_run_time=60,
        min_size=1000,
    )


def _run(job, day, *, trusted=True, succeeded=True):
    finished = at(day, 2).replace(minute=20)
    HeartbeatRun.objects.create(
        heartbeat=job,
        kind="success" if succeeded else "fail",
        received_at=finished,
        started_at=finished - datetime.timedelta(minutes=15),
        run_time=datetime.timedelta(minutes=15),
        succeeded=succeeded,
        size=5000,
        trusted=trusted,
        distrust="" if trusted else "too_small",
    )


def test_a_day_a_scheduled_backup_left_no_evidence_is_a_gap(unit_a, group_admin, tech_a):
    job = _backup_job(unit_a, group_admin)
    for day in range(1, 29):
        if day == 5:
            continue
        _run(job, datetime.date(2026, 2, day), trusted=day != 9, succeeded=day != 12)
    evidence = facts.backup_evidence(unit_a, FEBRUARY)
    gaps = [d.day.day for d in evidence.days if d.status == "gap"]
    assert gaps == [5, 9, 12]  # nothing; not trusted; failed
    assert evidence.gap_days == 3 and evidence.evidence_days == 25
    assert [d.day.day for d in evidence.days if d.failed] == [12]
    # A backup run by hand for the job fills its day.
    services.record_backup(
        actor=tech_a,
        unit=unit_a,
        occurred_at=at(datetime.date(2026, 2, 5), 10),
        subject="OA 数据库",
        target="磁带库",
        heartbeat=job,
    )
    assert [d.day.day for d in facts.backup_evidence(unit_a, FEBRUARY).days if d.status == "gap"] == [9, 12]


def test_a_restore_drill_is_verified_by_somebody_other_than_who_restored(unit_a, tech_a, tech_a2):
    fields = {
        "actor": tech_a,
        "unit": unit_a,
        "occurred_at": at(datetime.date(2026, 3, 3)),
        "subject": "OA 数据库 3 月 2 日全量备份",
        "restored_to": "测试服务器 10.0.0.9",
        "duration_minutes": 42,
        "outcome": "passed",
        "performed_by": tech_a.person,
    }
    with pytest.raises(DomainError) as refused:
        services.record_drill(verified_by=tech_a.person, **fields)
    assert refused.value.field == "verified_by"
    drill = services.record_drill(verified_by=tech_a2.person, **fields)
    assert list(facts.restore_drills(unit_a, datetime.date(2026, 3, 1))) == [drill]
    assert list(facts.restore_drills(unit_a, datetime.date(2026, 3, 4))) == []


def test_signing_needs_the_lead_every_log_confirmed_and_the_month_over(unit_a, lead, tech_a):
    with pytest.raises(PermissionDenied):
        services.open_review(unit_a, FEBRUARY, actor=tech_a)
    review = services.open_review(unit_a, FEBRUARY, actor=lead)
    assert review.due_on == datetime.date(2026, 3, 10)
    with pytest.raises(TransitionNotAllowed, match="Confirm each of the three logs"):
        services.sign(review, actor=lead, password=PASSWORD)
    march = confirm_all(services.open_review(unit_a, MARCH, actor=lead), lead)
    with pytest.raises(TransitionNotAllowed, match="once it is over"):
        services.sign(march, actor=lead, password=PASSWORD)


@pytest.mark.parametrize(("password", "field"), [("", "password"), ("wrong-password", "password")])
def test_signing_with_a_missing_or_wrong_password_is_refused_and_nothing_signed(
    unit_a, lead, password, field
):
    review = confirm_all(services.open_review(unit_a, FEBRUARY, actor=lead), lead)
    with pytest.raises(DomainError) as refused:
        services.sign(review, actor=lead, password=password)
    assert refused.value.field == field
    review.refresh_from_db()
    assert review.state == "open" and review.signed_at is None and review.snapshot == {}


def test_with_a_totp_device_signing_needs_a_fresh_code_not_the_password(unit_a, lead):
    device = TOTPDevice.objects.create(user=lead, name="phone", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    review = confirm_all(services.open_review(unit_a, FEBRUARY, actor=lead), lead)
    with pytest.raises(DomainError) as refused:
        services.sign(review, actor=lead, password=PASSWORD)
    assert refused.value.field == "otp"
    # A code already used (stale) is refused: django-otp keeps the last step it accepted.
    assert device.verify_token(code)
    with pytest.raises(DomainError, match="wrong or was used already"):
        services.sign(review, actor=lead, otp=code)
    device.refresh_from_db()
    device.last_t -= 1  # the next step's code
    device.save()
    signed = services.sign(review, actor=lead, otp=code)
    assert signed.state == "signed"


def test_signing_is_audited_and_keeps_what_the_lead_saw(unit_a, lead, template, tech_a):
    walk_month(template, tech_a, FEBRUARY, skip={datetime.date(2026, 2, 10)})
    review = sign_month(unit_a, FEBRUARY, lead)
    assert review.state == "signed" and review.signed_by == lead
    event = AuditEvent.objects.filter(action="transition", object_id=str(review.pk)).get()
    assert event.after["state"] == "signed" and event.actor_id == lead.pk
    assert review.snapshot["daily"]["missing"] == [
        {"template": template.pk, "name": "机房巡检", "day": "2026-02-10"}
    ]
    assert review.events.filter(kind="transition", to_state="signed").exists()


def test_a_frozen_month_does_not_change_when_its_data_does(unit_a, lead, group_admin):
    job = _backup_job(unit_a, group_admin)
    for day in range(1, 29):
        if day != 5:
            _run(job, datetime.date(2026, 2, day))
    review = sign_month(unit_a, FEBRUARY, lead)
    kept = dict(review.snapshot)
    assert kept["backup"]["gaps"] == ["2026-02-05"]
    # The missing run reaches Yunwei late: the log reads it, the signed review keeps what was signed.
    _run(job, datetime.date(2026, 2, 5))
    assert facts.backup_evidence(unit_a, FEBRUARY).gap_days == 0
    review.refresh_from_db()
    assert review.snapshot == kept


def test_an_entry_of_a_signed_month_cannot_be_edited(unit_a, lead, tech_a):
    note = services.record_note(
        actor=tech_a, unit=unit_a, occurred_at=at(datetime.date(2026, 2, 3)), kind="routine", text="更换硬盘"
    )
    sign_month(unit_a, FEBRUARY, lead)
    with pytest.raises(TransitionNotAllowed, match="2026-02 is signed"):
        services.update_entry(note, actor=tech_a, expected_version=note.version, text="改过的")
    note.refresh_from_db()
    assert note.text == "更换硬盘" and note.version == 1
    # Nor is an entry of an open month moved into the signed one.
    march = services.record_note(
        actor=tech_a, unit=unit_a, occurred_at=at(MARCH), kind="routine", text="巡检"
    )
    with pytest.raises(TransitionNotAllowed, match="moved into it"):
        services.update_entry(march, actor=tech_a, occurred_at=at(datetime.date(2026, 2, 20)))


def test_a_late_entry_for_a_signed_month_is_a_correction_shown_on_the_review(unit_a, lead, tech_a):
    review = sign_month(unit_a, FEBRUARY, lead)
    fields = {
        "actor": tech_a,
        "unit": unit_a,
        "occurred_at": at(datetime.date(2026, 2, 14)),
        "kind": "routine",
    }
    with pytest.raises(DomainError) as refused:
        services.record_note(text="补记：2 月 14 日更换 UPS 电池", **fields)
    assert refused.value.field == "correction"
    assert not LogNote.objects.exists()
    note = services.record_note(
        text="补记：2 月 14 日更换 UPS 电池", correction="2 月 14 日的例行工作漏记", **fields
    )
    assert note.is_correction
    assert services.corrections(review) == [note]


def test_a_month_in_the_future_or_malformed_is_refused_naming_month():
    for value in ("2026-04", "2026-13", "March", "2026-3-1"):
        with pytest.raises(DomainError) as refused:
            services.parse_month(value)
        assert refused.value.field == "month", value
    assert services.parse_month("2026-02") == FEBRUARY


def test_an_unsigned_month_past_its_day_is_told_to_the_lead_once(unit_a, lead):
    from yunwei.notify.models import Notice

    sent = services.sweep_overdue_reviews()
    review = MonthlyReview.objects.get(unit=unit_a, month=FEBRUARY)
    assert sent >= 1 and review.overdue_told_at is not None
    assert Notice.objects.filter(event_key=f"logbook-review:{review.pk}:overdue").count() == 1
    assert review.events.get(kind="overdue").data["recipients"] == [lead.pk]
    assert services.sweep_overdue_reviews() == 0
    assert services.is_overdue(review, FEBRUARY)


def test_manual_backup_entry_with_a_foreign_job_is_refused(unit_a, unit_b, group_admin, tech_a):
    job_b = _backup_job(unit_b, group_admin)
    with pytest.raises(DomainError) as refused, transaction.atomic():
        services.record_backup(
            actor=tech_a, unit=unit_a, occurred_at=at(MARCH), subject="x", target="y", heartbeat=job_b
        )
    assert refused.value.field == "heartbeat"
    assert not BackupEntry.objects.exists()


def test_readings_helper_covers_every_checkpoint(template):
    assert len(readings(template)) == template.checkpoints.count()


def test_several_units_months_read_at_once_are_each_units_own(
    template, tech_a, unit_a, unit_b, group_admin, django_assert_max_num_queries
):
    """The dashboard reads every unit's month in the same few queries (issue 27); each unit keeps its own
    gaps and missing rounds, the same as read alone."""
    walk_month(template, tech_a, FEBRUARY, skip={datetime.date(2026, 2, 10)})
    job = _backup_job(unit_a, group_admin)
    for day in range(1, 29):
        if day != 5:
            _run(job, datetime.date(2026, 2, day))
    with django_assert_max_num_queries(5):
        evidence = facts.backup_evidence_of([unit_a, unit_b.pk], FEBRUARY)
        missing = facts.missing_rounds_of([unit_a, unit_b], FEBRUARY)
    assert evidence[unit_a.pk].gap_days == facts.backup_evidence(unit_a, FEBRUARY).gap_days == 1
    assert evidence[unit_b.pk].gap_days == 0 and evidence[unit_b.pk].days
    assert [(m.template.pk, m.day) for m in missing[unit_a.pk]] == [(template.pk, datetime.date(2026, 2, 10))]
    assert missing[unit_b.pk] == []
