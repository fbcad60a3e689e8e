"""The whole demo, loaded once for this module as `yunwei demo` loads it, at one moment (LOADED_AT, with
the clock held there while the tests read it): what each area's demo promises, read from one load."""

import datetime
import io

import pytest
import time_machine
from django.contrib.auth import authenticate, get_user_model
from django.test import RequestFactory, override_settings
from django.utils import timezone, translation

from yunwei.alerts.models import Alert, AlertEvent, Integration, Payload
from yunwei.changes.choices import State
from yunwei.changes.models import Approval, Change
from yunwei.compliance import scores
from yunwei.compliance.models import Finding, Result
from yunwei.incidents import services as incidents
from yunwei.incidents.choices import State as IncidentState
from yunwei.incidents.models import EmergencyPlan, Incident, IncidentEvent, Notice, Signal
from yunwei.logbook import facts
from yunwei.logbook import services as logbook
from yunwei.logbook.models import MonthlyReview, Rectification, RestoreDrill
from yunwei.org import services as org
from yunwei.org.choices import APPROVING_ROLES, Role, UnitKind
from yunwei.org.models import MaintenanceContract, Person, RoleAssignment, Team, Unit, Vendor
from yunwei.reports import services as report_services
from yunwei.reports.models import Report, ReportFile
from yunwei.servicedesk import timers
from yunwei.servicedesk.choices import Kind
from yunwei.servicedesk.models import ReplyTemplate, ServiceRequest
from yunwei.web.management.commands.demo import load_everything
from yunwei.web.wall import board
from yunwei.web.work import UPCOMING_DAYS, work_in_hand

pytestmark = pytest.mark.django_db

LOADED_AT = datetime.datetime(2026, 12, 7, 6, 0, tzinfo=datetime.UTC)


def _can_log_in(username: str, password: str) -> bool:
    return (
        authenticate(RequestFactory().post("/accounts/login/"), username=username, password=password)
        is not None
    )


@pytest.fixture(scope="module")
def loaded(module_db) -> dict:
    """What each part of the demo answered, by part."""
    with override_settings(DEMO_PASSWORD="changed-demo-pass-8"), time_machine.travel(LOADED_AT, tick=False):
        return load_everything(io.StringIO())


@pytest.fixture(autouse=True)
def _shortly_after_the_load():
    """The demo's "now" (work ahead, overdue requests, a month left to sign) is the moment it was loaded."""
    with time_machine.travel(LOADED_AT + datetime.timedelta(minutes=5), tick=False):
        yield


# -- the organisation, accounts and the service desk ----------------------------------------------


def test_demo_group_units_people_and_vendors(loaded):
    group = Unit.objects.get(kind=UnitKind.GROUP)
    units = list(Unit.objects.filter(kind=UnitKind.UNIT, parent=group))
    assert len(units) >= 3
    without_clerk = [u for u in units if Role.CLERK in u.staffing_gaps()]
    assert len(without_clerk) == 1  # Art. 10's flag shows on exactly one unit
    for unit in units:
        roles = set(unit.role_assignments.values_list("role", flat=True))
        assert {Role.LEADER, Role.UNIT_ADMIN} <= roles
    assert Team.objects.count() >= 2
    assert 25 <= Person.objects.count() <= 40
    assert Vendor.objects.count() == 5
    assert set(MaintenanceContract.objects.values_list("vendor", flat=True)) == set(
        Vendor.objects.values_list("pk", flat=True)
    )


def test_demo_accounts_log_in_with_the_demo_password(loaded):
    codes = Unit.objects.filter(kind=UnitKind.UNIT).values_list("code", flat=True)
    names = ["admin", *(f"{code}-{kind}" for code in codes for kind in ("admin", "user"))]
    for name in names:
        assert _can_log_in(name, "changed-demo-pass-8"), name
        assert not _can_log_in(name, "yunwei-demo"), name
    admin = get_user_model().objects.get(username="admin")
    assert admin.access.is_group_admin
    first = codes[0]
    unit_admin = get_user_model().objects.get(username=f"{first}-admin")
    assert unit_admin.access.is_unit_admin and not unit_admin.access.is_group_admin
    plain = get_user_model().objects.get(username=f"{first}-user")
    assert not plain.access.is_unit_admin and not plain.access.is_group_admin


def test_the_service_desk_has_every_kind_and_state_in_every_unit(loaded):
    """Months of requests of every type and state in every unit, some overdue, some rated, one requirement
    that became a change, one support request that became an incident."""
    rows = ServiceRequest.objects.all()
    for unit in Unit.objects.filter(kind=UnitKind.UNIT):
        assert set(rows.filter(unit=unit).values_list("kind", flat=True)) == set(Kind.values)
    states = set(rows.values_list("state", flat=True))
    assert {
        "submitted",
        "triaged",
        "accepted",
        "approved",
        "resolved",
        "closed",
        "rejected",
        "incident",
    } <= states
    assert {"waiting_requester", "merged"} <= states
    assert rows.filter(rating__isnull=False).count() >= 10
    assert rows.filter(timers.overdue_q(timezone.now())).exists()
    assert rows.filter(change__isnull=False, kind="requirement").count() == 1
    assert rows.filter(incident__isnull=False, kind="support").count() == 1
    assert rows.filter(known_error__isnull=False).exists()
    assert rows.filter(values__has_key="account").exists()  # an account opened through the accounts service
    assert ReplyTemplate.objects.count() >= 3


# -- incidents, problems and changes --------------------------------------------------------------


def test_demo_shows_changes_in_every_state_work_ahead_a_revised_plan_and_obeys_the_notice_gates(
    loaded, django_user_model
):
    now = timezone.now()
    assert set(Change.objects.values_list("state", flat=True)) == set(State.values)
    week = Change.objects.filter(
        state=State.SCHEDULED,
        planned_start__gte=now,
        planned_start__lt=now + datetime.timedelta(days=UPCOMING_DAYS),
    )
    units_with_changes = set(Change.objects.values_list("unit_id", flat=True))
    assert set(week.values_list("unit_id", flat=True)) == units_with_changes
    admin = django_user_model.objects.get(username="admin")
    figures = {figure.key: figure.count for figure in work_in_hand(admin)}
    assert figures["upcoming-changes"] == week.count()
    assert figures["emergency-unapproved"] >= 1  # the emergency carried out 30 h ago
    assert figures["emergency-refused"] == 1  # refused after the fact, awaiting its rollback
    power = EmergencyPlan.objects.get(code="power-ii")
    assert list(power.revisions.values_list("revision", flat=True)) == [2, 1]
    assert set(power.drills.values_list("plan_revision__revision", flat=True)) == {1}

    # Art. 13: every fault past diagnosing reached somebody with its notices; 化工公司 has no clerk and no
    # office channel, so its suspension notices are refused with that reason and its faults wait.
    past = Incident.objects.exclude(state__in=["reported", "acknowledged", "diagnosing"])
    for incident in past.filter(plan_snapshot__suspend_service=True):
        assert incidents.notice_gate(incident, "suspension") is None
    for incident in past.filter(grade="II"):
        assert incidents.notice_gate(incident, "leader_report") is None
    chem = Incident.objects.filter(unit__code="chem")
    assert not chem.filter(notices__kind="suspension").exists()
    waiting = chem.filter(state__in=["reported", "acknowledged", "diagnosing"]).first()
    with translation.override("en"):
        refusal = incidents.notice_refusal(waiting, "suspension")
    assert "Art. 13" in refusal and "no clerk of 化工公司" in refusal
    # The demo handles faults under the shipped plans, without a second copy of any (Art. 13).
    assert EmergencyPlan.objects.count() == 12


def test_demo_closes_no_unfixed_fault_without_its_problem(loaded):
    """Art. 14: every demo incident closed as not fixed for good is linked to a real problem."""
    unfixed = Incident.objects.filter(state=IncidentState.CLOSED, fixed_for_good=False)
    assert unfixed.exists()
    assert not unfixed.filter(problems__isnull=True).exists()


def test_demo_roles_obey_who_grants_them_and_no_approval_rests_on_a_self_granted_role(
    loaded, django_user_model
):
    """Art. 10, 18: the roles that approve come from a group admin (the first admin's from the system,
    as `createadmin` does), nobody granted themselves a role, and every approval stands on a role
    somebody else granted."""
    for assignment in RoleAssignment.objects.select_related("person"):
        granter = org.granter_id(assignment)
        assert granter is None or granter != assignment.person.account_id, assignment
        if assignment.role in APPROVING_ROLES and granter is not None:
            assert django_user_model.objects.get(pk=granter).access.is_group_admin, assignment
    first = RoleAssignment.objects.get(role=Role.GROUP_ADMIN, person__account__username="admin")
    assert org.granter_id(first) is None
    groups = set(Unit.objects.filter(kind=UnitKind.GROUP).values_list("pk", flat=True))
    approvals = Approval.objects.select_related("change__unit", "approver")
    assert approvals.exists()
    for approval in approvals:
        units = {approval.change.unit_id, approval.change.unit.parent_id, *groups} - {None}
        assert not org.self_granted(approval.approver, approval.role, units), approval


# -- alerts and correlation --------------------------------------------------------------------------


def test_the_demo_has_weeks_of_alerts_through_the_intake_folded_into_incidents(loaded):
    prometheus, zabbix = loaded["alerts"]["prometheus"], loaded["alerts"]["zabbix"]
    assert {prometheus.kind, zabbix.kind} == {"alertmanager", "zabbix"}
    assert Integration.objects.count() == 2
    # Through the intake: every alert came in a stored payload, fired and resolved in its history.
    assert Payload.objects.filter(integration=prometheus).count() >= 40
    first = Alert.objects.filter(integration=prometheus).order_by("first_seen_at").first()
    assert LOADED_AT - first.first_seen_at > datetime.timedelta(weeks=8)
    assert AlertEvent.objects.filter(alert__integration=prometheus, kind="resolved").count() >= 15
    assert Alert.objects.filter(integration=prometheus, repeat_count__gt=0).exists()
    monitoring = Incident.objects.filter(source="monitoring")
    assert monitoring.filter(state="closed", closed_as="").count() >= 10
    # The switch failing after its servers: their incidents merged into its own.
    merged = monitoring.filter(closed_as="merged")
    assert merged.count() == 3
    assert {i.merged_into.title for i in merged} == {"POWE-CORE Interface Gi0/1 down"}
    assert Alert.objects.filter(integration=zabbix).count() >= 2


def test_the_demo_has_two_unmatched_alerts_and_one_false_alarm_with_its_reason(loaded):
    assert Alert.objects.filter(match__in=["unmatched", "ambiguous"]).count() == 2
    [false_alarm] = Incident.objects.filter(closed_as="false_alarm")
    assert false_alarm == loaded["alerts"]["false_alarm"]
    assert "Prometheus 重启" in false_alarm.false_alarm_reason


def test_the_demo_has_a_change_that_held_alerts_back_and_one_suspected_of_a_fault(loaded):
    held, suspected = loaded["alerts"]["held"], loaded["alerts"]["suspected"]
    assert held is not None and suspected is not None and held != suspected
    [signal] = Signal.objects.filter(suppressed_by=held)
    assert signal.incident_id is None and signal.state == "resolved"
    [incident] = suspected.suspected_incidents.all()
    assert incident.source == "monitoring"
    assert incident.signals.filter(suppressed_by=suspected).exists()


def test_the_demo_leaves_faults_firing_now_for_the_wall(loaded, django_user_model):
    admin = django_user_model.objects.get(username="power-admin")
    with time_machine.travel(LOADED_AT, tick=False):
        tiles = board(admin)
    down = [tile for tile in tiles if tile.state == "down"]
    assert down, [(t.item.code, t.state) for t in tiles]
    assert any(i.state == "to_confirm" for tile in down for i in tile.incidents)
    assert sum(tile.alerts for tile in tiles) >= 1


def test_nothing_of_the_demo_happens_after_it_was_loaded(loaded):
    assert not Notice.objects.filter(sent_at__gt=LOADED_AT).exists()
    assert not IncidentEvent.objects.filter(at__gt=LOADED_AT).exists()
    assert not Alert.objects.filter(last_seen_at__gt=LOADED_AT).exists()


# -- the log books, compliance and the monthly report ----------------------------------------------


def test_the_demo_holds_what_a_lead_reviews(loaded):
    assert loaded["logbook"]["rounds"] > 500
    group = Unit.objects.get(kind="group")
    reviews = MonthlyReview.objects.filter(unit=group).order_by("month")
    # Last month is left for the lead to sign: its review is open (compliance put a rectification in it).
    assert list(reviews.values_list("state", flat=True)) == ["signed"] * 5 + ["open"]
    signed = reviews.filter(state="signed")
    last = signed.last().month
    following = facts.next_month(last)
    assert facts.review_of(group, following).state == "open"
    assert len(facts.missing_rounds(group, following)) == 1
    assert facts.backup_evidence(group, following).gap_days + facts.backup_evidence(group, last).gap_days >= 1
    assert RestoreDrill.objects.filter(unit=group).count() == 1
    assert len(logbook.corrections(signed.last())) == 1
    assert set(Rectification.objects.values_list("state", flat=True)) == {
        "open",
        "in_progress",
        "done",
        "verified",
        "cancelled",
    }


def test_six_months_judged_with_findings_and_one_approved_not_applicable(loaded):
    assert loaded["compliance"]["months"] == [
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
        "2026-12",
    ]
    assert set(Result.objects.values_list("month", flat=True)) == set(loaded["compliance"]["months"])
    assert Finding.objects.exists()
    assert Result.objects.exclude(outcome="met").exists()
    exemption = loaded["compliance"]["exemption"]
    assert exemption.state == "approved" and exemption.reason
    assert exemption.result.outcome == "not_applicable"
    chem = Unit.objects.get(code="chem")
    assert scores.score(chem, "2026-11").not_applicable == 1
    # The chemical company names no clerk: Art. 10 is partly met in the other months.
    assert Result.objects.get(unit=chem, duty="art10-people", month="2026-10").outcome == "partly_met"
    # One finding of last month became a rectification of the unit's review, linked from the finding.
    rectification = loaded["compliance"]["rectification"]
    assert rectification is not None
    assert rectification.compliance_finding.result.month == "2026-11"
    assert rectification.finding.review.month == datetime.date(2026, 11, 1)


def test_three_signed_months_and_this_month_in_draft_per_unit_and_for_the_group(loaded):
    units = [None, *Unit.objects.filter(kind="unit", is_active=True)]
    assert loaded["reports"]["reports"] == len(units) * 4
    for unit in units:
        reports = list(Report.objects.filter(unit=unit.pk if unit else None).order_by("month"))
        assert [f"{r.month:%Y-%m}" for r in reports] == ["2026-09", "2026-10", "2026-11", "2026-12"]
        assert [r.state for r in reports] == ["signed", "signed", "signed", "draft"]
        assert all(r.figures and r.analysis and r.signed_by_name for r in reports[:3])
    group_report = Report.objects.filter(unit__isnull=True, month=datetime.date(2026, 11, 1)).get()
    assert group_report.figures["incidents"]["total"] >= 1
    # The files: made at the first download, from the signed figures, then the same bytes.
    made = report_services.file_of(group_report, "xlsx")
    assert report_services.file_of(group_report, "xlsx").sha256 == made.sha256
    assert ReportFile.objects.filter(report=group_report).count() == 1
