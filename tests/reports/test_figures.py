"""Every figure of the monthly report checked against figures computed here, independently, from the raw
records the test makes (kept as plain Python lists beside the rows): per unit and for the group; records
of another month or unit never count; the counting is done by a bounded number of queries."""

import datetime
import statistics

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yunwei.changes.models import Change
from yunwei.compliance import scores
from yunwei.compliance.models import Result
from yunwei.incidents.models import Incident
from yunwei.logbook.models import BackupEntry, Finding, MonthlyReview, Rectification, RestoreDrill
from yunwei.monitoring import services as monitoring
from yunwei.monitoring.models import Check, CheckRollup, Heartbeat, HeartbeatRun, Indicator
from yunwei.monitoring.services import indicators
from yunwei.org.models import Person
from yunwei.problems.models import Problem
from yunwei.reports import figures

from ..conftest import make_item
from .conftest import FEBRUARY, NOW, at

pytestmark = pytest.mark.django_db

FEB = [FEBRUARY + datetime.timedelta(days=n) for n in range(28)]
JANUARY = datetime.date(2026, 1, 1)
H = 3600.0
MIN = datetime.timedelta(minutes=1)


def _incident(unit, spec) -> Incident:
    incident = Incident.objects.create(
        unit=unit,
        title=spec["title"],
        impact_scope="one_unit",
        started_at=spec["reported"] - spec.get("lead", 0) * MIN,
        reported_at=spec["reported"],
        grade=spec["grade"],
        cause_category=spec["cause"],
        acknowledged_at=spec["reported"] + spec["ack"] * MIN if spec.get("ack") is not None else None,
        restored_at=spec["reported"] + spec["restore"] * MIN if spec.get("restore") is not None else None,
        acknowledge_due_at=spec["reported"] + spec.get("ack_due", 30) * MIN,
        restore_due_at=spec["reported"] + spec.get("restore_due", 240) * MIN,
        closed_as=spec.get("closed_as", ""),
        false_alarm_reason=spec.get("reason", ""),
        state="closed"
        if spec.get("closed_as")
        else "restored"
        if spec.get("restore") is not None
        else "reported",
    )
    if spec.get("items"):
        incident.affected_items.set(spec["items"])
    return incident


@pytest.fixture
def world(unit_a, unit_b, group, group_admin):
    """A month of records of units A and B, with records of January and March that must not count."""
    db_a = make_item(unit_a, "application", "OA-A", actor=group_admin, name="甲OA")
    sw_a = make_item(unit_a, "application", "MAIL-A", actor=group_admin, name="甲邮件")
    db_b = make_item(unit_b, "application", "OA-B", actor=group_admin, name="乙OA")
    specs = [
        # unit, grade, cause, reported, minutes to acknowledge / restore, lead time, items …
        (
            unit_a,
            {
                "title": "甲故障1",
                "grade": "II",
                "cause": "server",
                "reported": at(FEB[1]),
                "ack": 10,
                "restore": 100,
                "lead": 5,
                "items": [db_a],
            },
        ),
        (
            unit_a,
            {
                "title": "甲故障2",
                "grade": "III",
                "cause": "network",
                "reported": at(FEB[3]),
                "ack": 50,
                "restore": 300,
                "items": [db_a, sw_a],
            },
        ),  # late twice: ack due 30, restore due 240
        (
            unit_a,
            {
                "title": "甲故障3",
                "grade": "III",
                "cause": "network",
                "reported": at(FEB[9]),
                "ack": 20,
                "items": [db_a],
            },
        ),  # not restored, its deadline long past: a breach
        (
            unit_a,
            {
                "title": "甲故障4",
                "grade": "II",
                "cause": "",
                "reported": at(FEB[20]),
                "ack": 5,
                "restore": 60,
                "items": [sw_a],
            },
        ),
        (
            unit_a,
            {
                "title": "甲误报",
                "grade": "III",
                "cause": "other",
                "reported": at(FEB[5]),
                "ack": 90,
                "closed_as": "false_alarm",
                "reason": "探测抖动",
            },
        ),
        (
            unit_a,
            {
                "title": "甲合并",
                "grade": "III",
                "cause": "server",
                "reported": at(FEB[1], 10),
                "ack": 1,
                "restore": 2,
                "closed_as": "merged",
            },
        ),
        (
            unit_b,
            {
                "title": "乙故障1",
                "grade": "II",
                "cause": "power",
                "reported": at(FEB[12]),
                "ack": 8,
                "restore": 30,
                "items": [db_b],
            },
        ),
        (
            unit_b,
            {
                "title": "乙故障2",
                "grade": "III",
                "cause": "power",
                "reported": at(FEB[27], 23),
                "ack": 3,
                "restore": 20,
                "items": [db_b],
            },
        ),
        # Outside February: January's count in the trend only; March's nowhere.
        (
            unit_a,
            {
                "title": "甲一月",
                "grade": "II",
                "cause": "server",
                "reported": at(JANUARY, 12),
                "ack": 40,
                "restore": 200,
                "items": [db_a],
            },
        ),
        (
            unit_a,
            {
                "title": "甲三月",
                "grade": "II",
                "cause": "server",
                "reported": at(datetime.date(2026, 3, 1), 0, 30),
                "ack": 1,
                "restore": 5,
                "items": [db_a],
            },
        ),
    ]
    for unit, spec in specs:
        _incident(unit, spec)
    return {"specs": specs, "items": (db_a, sw_a, db_b)}


def _expected_incidents(specs, unit):
    def mine(spec_unit, spec):
        in_month = FEBRUARY <= timezone.localtime(spec["reported"]).date() < datetime.date(2026, 3, 1)
        return in_month and (unit is None or spec_unit == unit)

    rows = [spec for spec_unit, spec in specs if mine(spec_unit, spec)]
    counted = [s for s in rows if not s.get("closed_as")]
    return rows, counted


@pytest.mark.parametrize("who", ["a", "group"])
def test_incident_figures_match_the_records(world, unit_a, who):
    unit = unit_a if who == "a" else None
    rows, counted = _expected_incidents(world["specs"], unit)
    start, end = figures.facts.month_bounds(FEBRUARY)
    got = figures.incident_counts(unit, start, end)
    assert got["total"] == len(counted)
    assert got["false_alarms"] == sum(1 for s in rows if s.get("closed_as") == "false_alarm")
    assert got["merged"] == sum(1 for s in rows if s.get("closed_as") == "merged")
    for grade in ("II", "III"):
        assert got["by_grade"].get(grade, 0) == sum(1 for s in counted if s["grade"] == grade)
    for cause in ("server", "network", "power", ""):
        assert got["by_cause"].get(cause, 0) == sum(1 for s in counted if s["cause"] == cause)
    by_unit = {}
    for spec_unit, spec in world["specs"]:
        if spec in counted:
            by_unit[spec_unit.name] = by_unit.get(spec_unit.name, 0) + 1
    assert got["by_unit"] == by_unit

    times = figures.times(unit, FEBRUARY, end)
    feb_acks = [s["ack"] for s in counted if s.get("ack") is not None]
    feb_restores = [s["restore"] + s.get("lead", 0) for s in counted if s.get("restore") is not None]
    assert times["ack_minutes"] == pytest.approx(statistics.mean(feb_acks), abs=0.1)
    assert times["restore_minutes"] == pytest.approx(statistics.mean(feb_restores), abs=0.1)
    assert [row["month"] for row in times["trend"]][-2:] == ["2026-01", "2026-02"]
    assert len(times["trend"]) == 12
    january = times["trend"][-2]
    assert (january["incidents"], january["ack_minutes"], january["restore_minutes"]) == (1, 40.0, 200.0)
    assert times["trend"][0]["incidents"] == 0 and times["trend"][0]["ack_minutes"] is None

    breaches = figures.breaches(unit, start, end, NOW)
    moment = end

    def late_ack(s):
        due = s["reported"] + s.get("ack_due", 30) * MIN
        done = s["reported"] + s["ack"] * MIN if s.get("ack") is not None else None
        return (done is None and due < moment) or (done is not None and done > due)

    def late_restore(s):
        due = s["reported"] + s.get("restore_due", 240) * MIN
        done = s["reported"] + s["restore"] * MIN if s.get("restore") is not None else None
        return (done is None and due < moment) or (done is not None and done > due)

    assert breaches["acknowledge"] == sum(1 for s in counted if late_ack(s))
    assert breaches["restore"] == sum(1 for s in counted if late_restore(s))
    assert breaches["total"] == sum(1 for s in counted if late_ack(s) or late_restore(s))
    assert {row["title"] for row in breaches["list"]} == {
        s["title"] for s in counted if late_ack(s) or late_restore(s)
    }

    false_alarms = figures.false_alarms(unit, start, end)
    assert [row["title"] for row in false_alarms["list"]] == [
        s["title"] for s in rows if s.get("closed_as") == "false_alarm"
    ]
    assert false_alarms["list"][0]["reason"] == "探测抖动"

    repeats = figures.repeats(unit, start, end)
    per_item = {}
    for spec in counted:
        for item in spec.get("items", []):
            per_item[item.code] = per_item.get(item.code, 0) + 1
    again = {code: n for code, n in per_item.items() if n > 1}
    assert {row["code"]: row["incidents"] for row in repeats["list"]} == again
    assert repeats["items"] == len(again)


def test_problem_figures_match_the_records(unit_a, unit_b):
    end_day = datetime.date(2026, 3, 1)
    specs = [
        # registered, deadline, solved, archived, unit
        (at(FEB[2]), FEB[10], None, None, unit_a),  # overdue at the month's end
        (at(FEB[3]), FEB[20], at(FEB[15]), at(FEB[16]), unit_a),  # closed in the month
        (
            at(FEB[4]),
            FEB[25],
            at(datetime.date(2026, 3, 5)),
            None,
            unit_a,
        ),  # solved after its deadline: overdue
        (at(FEB[5]), datetime.date(2026, 3, 20), None, None, unit_a),  # deadline ahead
        (at(JANUARY), datetime.date(2026, 1, 20), at(datetime.date(2026, 1, 25)), at(FEB[1]), unit_a),
        (at(FEB[6]), FEB[7], None, None, unit_b),
    ]
    for registered, deadline, solved, archived, unit in specs:
        Problem.objects.create(
            unit=unit,
            title="问题",
            registered_at=registered,
            deadline=deadline,
            solved_at=solved,
            archived_at=archived,
            state="archived" if archived else "solved" if solved else "in_progress",
        )
    start, end = figures.facts.month_bounds(FEBRUARY)
    for unit in (unit_a, None):
        mine = [s for s in specs if unit is None or s[4] == unit]
        got = figures.problems(unit, start, end, NOW)
        assert got["opened"] == sum(1 for s in mine if FEBRUARY <= timezone.localtime(s[0]).date() < end_day)
        assert got["closed"] == sum(
            1 for s in mine if s[3] and FEBRUARY <= timezone.localtime(s[3]).date() < end_day
        )
        assert got["overdue"] == sum(
            1
            for s in mine
            if s[1] < FEB[27] and (s[2] is None or s[2] >= end) and (s[3] is None or s[3] >= end)
        )


def test_change_figures_match_the_records(unit_a, unit_b):
    base = {"title": "变更", "rollback_plan": "回退"}
    specs = [
        # unit, type, kind, state, failure note, rollback note, finished, suspected
        (unit_a, "software_upgrade", "normal", "completed", "", "", at(FEB[3]), False),
        (unit_a, "software_upgrade", "emergency", "rolled_back", "", "回退了", at(FEB[4]), True),
        (unit_a, "configuration", "normal", "failed", "失败", "", at(FEB[5]), False),
        (unit_a, "configuration", "normal", "reviewed", "", "部分回退", at(FEB[6]), True),
        (unit_a, "deployment", "emergency", "reviewed", "", "", at(FEB[7]), False),
        (unit_a, "deployment", "normal", "completed", "", "", at(JANUARY, 12), False),
        (unit_b, "relocation", "normal", "completed", "", "", at(FEB[8]), False),
    ]
    suspects = []
    for unit, kind_of, kind, state, failure, rollback, finished, suspected in specs:
        change = Change.objects.create(
            unit=unit,
            change_type=kind_of,
            kind=kind,
            state=state,
            failure_note=failure,
            rollback_note=rollback,
            finished_at=finished,
            **base,
        )
        if suspected:
            suspects.append(change)
    for n in range(2):  # two incidents suspect the same change: it counts once
        incident = Incident.objects.create(
            unit=unit_a,
            title=f"疑似{n}",
            impact_scope="one_unit",
            started_at=at(FEB[9]),
            reported_at=at(FEB[9]),
            grade="III",
        )
        incident.suspected_changes.set(suspects)
    start, end = figures.facts.month_bounds(FEBRUARY)
    for unit in (unit_a, None):
        mine = [s for s in specs if (unit is None or s[0] == unit) and s[6] >= start]
        got = figures.changes(unit, start, end)
        assert got["total"] == len(mine)
        assert got["emergency"] == sum(1 for s in mine if s[2] == "emergency")
        assert got["suspected"] == sum(1 for s in mine if s[7])
        types = {}
        for s in mine:
            types[s[1]] = types.get(s[1], 0) + 1
        assert got["by_type"] == types

        def outcome(s):
            if s[3] == "rolled_back" or (s[3] == "reviewed" and s[5]):
                return "rolled_back"
            if s[3] == "failed" or (s[3] == "reviewed" and s[4]):
                return "failed"
            return "completed"

        assert got["by_outcome"] == {
            key: sum(1 for s in mine if outcome(s) == key) for key in ("completed", "rolled_back", "failed")
        }


def test_backup_and_drill_figures_match_the_records(unit_a, unit_b, group_admin):
    item = make_item(unit_a, "application", "OA-A", actor=group_admin)
    job = Heartbeat.objects.create(
        unit=unit_a, item=item, name="甲备份", kind="backup", period=86400, grace=3600
    )
    cron = Heartbeat.objects.create(
        unit=unit_a, item=item, name="甲定时", kind="cron", period=86400, grace=3600
    )
    job_b = Heartbeat.objects.create(unit=unit_b, name="乙备份", kind="backup", period=86400, grace=3600)
    runs = [
        (job, FEB[1], "success", True, True),
        (job, FEB[2], "success", True, False),  # not trusted: never good
        (job, FEB[3], "fail", False, True),
        (job, FEB[4], "start", None, True),  # a start is no finished run
        (cron, FEB[5], "success", True, True),  # a cron job is no backup
        (job, JANUARY, "success", True, True),
        (job_b, FEB[6], "success", True, True),
    ]
    for heartbeat, day, kind, succeeded, trusted in runs:
        HeartbeatRun.objects.create(
            heartbeat=heartbeat, kind=kind, received_at=at(day, 2), succeeded=succeeded, trusted=trusted
        )
    person = Person.objects.create(unit=unit_a, name="甲某")
    verifier = Person.objects.create(unit=unit_a, name="甲某二")
    manual = [(FEB[7], True), (FEB[8], False)]
    for day, ok in manual:
        BackupEntry.objects.create(
            unit=unit_a, occurred_at=at(day), recorded_at=at(day), subject="手工", target="磁带", succeeded=ok
        )
    drills = [(FEB[9], "passed"), (FEB[10], "failed"), (JANUARY, "passed")]
    for day, outcome in drills:
        RestoreDrill.objects.create(
            unit=unit_a,
            occurred_at=at(day),
            recorded_at=at(day),
            subject="OA库",
            restored_to="测试机",
            duration_minutes=30,
            performed_by=person,
            verified_by=verifier,
            outcome=outcome,
        )
    start, end = figures.facts.month_bounds(FEBRUARY)
    got = figures.backups(unit_a, FEBRUARY, start, end, NOW)
    feb_runs = [r for r in runs if r[0] == job and r[1] >= FEBRUARY and r[2] in ("success", "fail")]
    good_runs = [r for r in feb_runs if r[3] and r[4]]
    assert (got["runs"], got["runs_good"]) == (len(feb_runs), len(good_runs))
    assert (got["manual"], got["manual_good"]) == (len(manual), sum(1 for _d, ok in manual if ok))
    total = len(feb_runs) + len(manual)
    good = len(good_runs) + sum(1 for _d, ok in manual if ok)
    assert got["success_rate"] == round(100 * good / total, 1)
    assert got["drills"] == {"passed": 1, "failed": 1}
    assert [row["outcome"] for row in got["drill_list"]] == ["passed", "failed"]
    # The gap days are the log book's own reading of the month, summed.
    assert got["gap_days"] == figures.facts.backup_evidence(unit_a, FEBRUARY, today=NOW.date()).gap_days
    group = figures.backups(None, FEBRUARY, start, end, NOW)
    assert (group["runs"], group["runs_good"]) == (len(feb_runs) + 1, len(good_runs) + 1)


def test_review_and_compliance_figures_match_the_records(unit_a, unit_b, group, group_admin):
    review = MonthlyReview.objects.create(unit=unit_a, month=FEBRUARY, due_on=datetime.date(2026, 3, 10))
    MonthlyReview.objects.create(
        unit=unit_b, month=FEBRUARY, due_on=datetime.date(2026, 3, 10), state="signed", signed_at=at(FEB[27])
    )
    owner = Person.objects.create(unit=unit_a, name="甲整改人")
    texts = [("backup", "备份缺两天"), ("daily", "巡检漏一次")]
    for log, text in texts:
        finding = Finding.objects.create(review=review, log=log, text=text, recorded_at=at(FEB[27]))
        if log == "backup":
            Rectification.objects.create(
                unit=unit_a, finding=finding, title=text, owner=owner, deadline=datetime.date(2026, 3, 20)
            )
    got = figures.review(unit_a, FEBRUARY)
    assert (got["reviews"], got["signed"], got["findings"]) == (1, 0, 2)
    assert got["rectifications"] == {"open": 1}
    assert [(row["log"], row["text"], row["rectification"]) for row in got["list"]] == [
        ("backup", "备份缺两天", "open"),
        ("daily", "巡检漏一次", ""),
    ]
    assert figures.review(None, FEBRUARY)["signed"] == 1

    outcomes = ["met", "met", "partly_met", "not_met", "not_applicable"]
    for n, outcome in enumerate(outcomes):
        Result.objects.create(
            unit=unit_a,
            month="2026-02",
            article=12,
            duty=f"d{n}",
            duty_version=1,
            carried_by="unit",
            judged=outcome,
            outcome=outcome,
            checked=1,
            failing=0,
            judged_at=NOW,
        )
    applicable = [o for o in outcomes if o != "not_applicable"]
    share = (applicable.count("met") + applicable.count("partly_met") / 2) / len(applicable)
    expected = int(100 * share + 0.5)  # pages round half up
    got = figures.compliance(unit_a, FEBRUARY)
    assert got["percent"] == expected == scores.score(unit_a, "2026-02").percent
    assert got["units"] == [{"unit": unit_a.name, "code": unit_a.code, "percent": expected}]


def test_availability_is_monitorings_figure_against_its_target(unit_a, group_admin):
    item = make_item(unit_a, "application", "OA-A", actor=group_admin, name="甲OA")
    monitoring.create(Indicator, actor=group_admin, item=item, name="甲OA可用性", availability_target="99.5")
    check = monitoring.create(
        Check,
        actor=group_admin,
        item=item,
        name="甲OA端口",
        kind="tcp",
        spec={"host": "127.0.0.1", "port": 9},
    )
    Check.objects.filter(pk=check.pk).update(created_at=at(JANUARY))
    days = [(FEB[0], 23 * H, 1 * H), (FEB[1], 24 * H, 0.0), (FEB[2], 20 * H, 0.0)]
    for day, up, down in days:
        CheckRollup.objects.create(
            active_check=check,
            period="day",
            start=indicators.day_start(day),
            up_seconds=up,
            down_seconds=down,
            no_data_seconds=86400 - up - down,
        )
    rows = figures.availability(unit_a, FEBRUARY, NOW)
    up = sum(d[1] for d in days)
    down = sum(d[2] for d in days)
    assert len(rows) == 1
    assert rows[0]["actual"] == pytest.approx(100 * up / (up + down), abs=0.001)
    assert rows[0]["target"] == 99.5 and rows[0]["missed"] is True
    assert figures.availability(None, FEBRUARY, NOW) == rows


def test_the_whole_report_is_json_and_reads_in_bounded_queries(world, unit_a):
    with CaptureQueriesContext(connection) as one_unit:
        computed = figures.compute(unit_a, FEBRUARY, now=NOW)
    # More incidents do not mean more queries: the counting is grouped in the database.
    for n in range(30):
        _incident(
            unit_a,
            {"title": f"多{n}", "grade": "III", "cause": "server", "reported": at(FEB[n % 28]), "ack": 3},
        )
    with CaptureQueriesContext(connection) as more:
        again = figures.compute(unit_a, FEBRUARY, now=NOW)
    assert len(more.captured_queries) == len(one_unit.captured_queries)
    assert again["incidents"]["total"] == computed["incidents"]["total"] + 30
    import json

    assert json.loads(json.dumps(computed)) == computed
