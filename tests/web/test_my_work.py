"""My work: each role's list of what waits on them, against records made for them and for others —
nothing of another unit, nothing that is not theirs. The rules are the dashboard's (web.work,
changes.queues); the change list's "awaiting my decision" filter reads the same one."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from yunwei.changes import services as changes
from yunwei.incidents import services as incidents
from yunwei.org import services as org
from yunwei.org.choices import Role
from yunwei.org.models import Team
from yunwei.problems import services as problems

from ..changes.conftest import new_change
from ..conftest import make_item, make_user
from ..problems.conftest import classify, solve

pytestmark = pytest.mark.django_db


@pytest.fixture
def tech_a(unit_a, team_a):
    user = make_user("a-tech", unit_a, Role.TECH_STAFF, name="甲技术员")
    user.person.team = team_a
    user.person.save()
    return user


@pytest.fixture
def colleague_a(unit_a, team_a):
    user = make_user("a-colleague", unit_a, Role.TECH_STAFF, name="甲同事")
    user.person.team = team_a
    user.person.save()
    return user


@pytest.fixture
def lead(group):
    return make_user("lead", group, Role.SYSTEM_LEAD, name="系统管理负责人")


@pytest.fixture
def leader_a(unit_a):
    return make_user("a-leader", unit_a, Role.LEADER, name="甲分管领导")


@pytest.fixture
def servers(unit_a, unit_b, group_admin):
    return (
        make_item(unit_a, "server", "SRV-A", actor=group_admin, name="甲服务器"),
        make_item(unit_b, "server", "SRV-B", actor=group_admin, name="乙服务器"),
    )


def _sections(client, user) -> dict[str, list[str]]:
    client.force_login(user)
    response = client.get(reverse("web:my-work"))
    assert response.status_code == 200
    return {s.key: [e.code for e in s.entries] for s in response.context["sections"]}


def _report(actor, unit, title, **fields):
    return incidents.report(actor=actor, unit=unit, title=title, **fields)


def test_the_technician_sees_incidents_assigned_to_them_or_their_team_and_nothing_else(
    client, unit_a, unit_b, unit_admin_a, unit_admin_b, tech_a, colleague_a, team_a
):
    other_team = Team.objects.create(unit=unit_a, code="net", name="网络班")
    mine = _report(unit_admin_a, unit_a, "邮件无法登录")
    mine = incidents.transition(mine, to="acknowledged", actor=unit_admin_a, assignee=tech_a.person)
    teams = _report(unit_admin_a, unit_a, "打印服务中断")
    teams = incidents.transition(teams, to="acknowledged", actor=unit_admin_a, team=team_a)
    colleagues = _report(unit_admin_a, unit_a, "网盘变慢")
    incidents.transition(colleagues, to="acknowledged", actor=unit_admin_a, assignee=colleague_a.person)
    elsewhere = _report(unit_admin_a, unit_a, "交换机告警")
    incidents.transition(elsewhere, to="acknowledged", actor=unit_admin_a, team=other_team)
    _report(unit_admin_a, unit_a, "无人处理")
    foreign = _report(unit_admin_b, unit_b, "乙单位故障")
    incidents.transition(foreign, to="acknowledged", actor=unit_admin_b)

    seen = _sections(client, tech_a)
    assert mine.code in seen["incidents"] and teams.code in seen["incidents"]
    assert elsewhere.code not in seen["incidents"]
    assert foreign.code not in str(seen)
    assert "changes-to-decide" not in seen and "problems-to-verify" not in seen
    assert _sections(client, unit_admin_b)["incidents"] == [foreign.code]  # who acknowledged holds it


def test_incidents_to_confirm_wait_on_the_units_staff_not_on_another_unit(
    client, unit_a, unit_b, unit_admin_a, unit_admin_b, unit_user_a, group_admin
):
    opened = incidents.report(actor=None, unit=unit_a, title="监控发现 OA 超时", source="monitoring")
    assert opened.state == "to_confirm"
    assert opened.code in _sections(client, unit_admin_a)["to-confirm"]
    assert opened.code in _sections(client, group_admin)["to-confirm"]
    assert _sections(client, unit_admin_b)["to-confirm"] == []
    assert "to-confirm" not in _sections(client, unit_user_a)  # a plain user confirms nothing


def test_the_lead_decides_on_submitted_changes_not_on_their_own_nor_twice(
    client, unit_a, unit_b, unit_admin_a, unit_admin_b, lead, servers
):
    server_a, server_b = servers
    change_a = changes.transition(
        new_change(unit_admin_a, unit_a, [server_a]), to="submitted", actor=unit_admin_a
    )
    change_b = changes.transition(
        new_change(unit_admin_b, unit_b, [server_b]), to="submitted", actor=unit_admin_b
    )
    draft = new_change(unit_admin_a, unit_a, [server_a], title="还在起草")

    deciding = _sections(client, lead)["changes-to-decide"]
    assert change_a.code in deciding and change_b.code in deciding  # the group's lead serves every unit
    assert draft.code not in deciding
    changes.decide(change_a, actor=lead, decision="approved")
    assert change_a.code not in _sections(client, lead)["changes-to-decide"]
    # The requester schedules what was approved; another unit's admin sees none of it.
    assert change_a.code in _sections(client, unit_admin_a)["changes-to-schedule"]
    assert change_a.code not in str(_sections(client, unit_admin_b))


def test_the_leader_in_charge_decides_only_on_the_risky_changes_of_their_unit(
    client, unit_a, unit_b, unit_admin_a, unit_admin_b, leader_a, servers
):
    server_a, server_b = servers
    calm = changes.transition(
        new_change(unit_admin_a, unit_a, [server_a]), to="submitted", actor=unit_admin_a
    )
    risky = changes.transition(
        new_change(unit_admin_a, unit_a, [server_a], title="停机迁移", service_impact="outage"),
        to="submitted",
        actor=unit_admin_a,
    )
    foreign = changes.transition(
        new_change(unit_admin_b, unit_b, [server_b], title="乙停机", service_impact="outage"),
        to="submitted",
        actor=unit_admin_b,
    )
    deciding = _sections(client, leader_a)["changes-to-decide"]
    assert deciding == [risky.code]
    assert calm.code not in deciding and foreign.code not in deciding

    client.force_login(leader_a)
    page = client.get(reverse("changes:change-list"), {"awaiting_my_decision": "true"})
    codes = {c.code for c in page.context["page_obj"]}
    assert codes == {risky.code}


def test_the_change_list_filter_follows_each_persons_decisions(client, unit_a, unit_admin_a, lead, servers):
    server_a, _server_b = servers
    change = changes.transition(
        new_change(unit_admin_a, unit_a, [server_a]), to="submitted", actor=unit_admin_a
    )
    url = reverse("changes:change-list")
    client.force_login(lead)
    assert [c.pk for c in client.get(url, {"awaiting_my_decision": "true"}).context["page_obj"]] == [
        change.pk
    ]
    client.force_login(unit_admin_a)  # the requester: their own change waits on somebody else
    assert list(client.get(url, {"awaiting_my_decision": "true"}).context["page_obj"]) == []


def test_problems_wait_on_their_owner_and_on_a_group_admin_other_than_the_owner(
    client, unit_a, unit_admin_a, group_admin, unit_admin_b
):
    owner = make_user("a-owner", unit_a, Role.TECH_STAFF, name="甲负责人")
    helper = make_user("a-helper", unit_a, Role.USER, name="甲配合人")
    other_admin = make_user("group-admin-2", group_admin.person.unit, Role.GROUP_ADMIN)
    registered = problems.register(actor=unit_admin_a, unit=unit_a, title="待分类", origin="inspection")
    owned = classify(
        problems.register(actor=unit_admin_a, unit=unit_a, title="UPS 电池老化", origin="inspection"),
        group_admin,
        owner,
        helper,
    )
    solved_own = solve(
        classify(
            problems.register(actor=unit_admin_a, unit=unit_a, title="管理员自己的问题", origin="inspection"),
            group_admin,
            group_admin,
            helper,
        ),
        group_admin,
    )

    assert _sections(client, owner)["problems-owned"] == [owned.code]
    assert "problems-to-verify" not in _sections(client, owner)
    first = _sections(client, group_admin)
    assert registered.code in first["problems-to-classify"]
    assert solved_own.code not in first["problems-to-verify"]  # nobody verifies their own (Art. 16)
    assert solved_own.code in _sections(client, other_admin)["problems-to-verify"]
    assert not any(_sections(client, unit_admin_b).values())


def test_a_late_record_says_how_late_it_is(client, unit_a, unit_admin_a, tech_a):
    incident = _report(unit_admin_a, unit_a, "邮件无法登录")
    incident = incidents.transition(incident, to="acknowledged", actor=unit_admin_a, assignee=tech_a.person)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
        client.force_login(tech_a)
        response = client.get(reverse("web:my-work"))
    [entry] = next(s for s in response.context["sections"] if s.key == "incidents").entries
    assert entry.late is not None and entry.late > datetime.timedelta(days=2)
    assert 'data-testid="late"' in response.content.decode()


def test_my_work_shows_the_dashboards_figure_for_deciders(client, unit_a, unit_admin_a, lead, servers):
    server_a, _server_b = servers
    changes.transition(new_change(unit_admin_a, unit_a, [server_a]), to="submitted", actor=unit_admin_a)
    client.force_login(lead)
    figures = {f.key: f for f in client.get(reverse("web:dashboard")).context["work"]}
    assert figures["awaiting-my-decision"].count == 1
    assert figures["awaiting-my-decision"].url.endswith("?awaiting_my_decision=true")
    client.force_login(unit_admin_a)
    assert "awaiting-my-decision" not in {f.key for f in client.get(reverse("web:dashboard")).context["work"]}


def test_org_is_unchanged_by_reading(client, unit_admin_a):
    """Reading My work writes nothing (no audit event, no row)."""
    from yunwei.audit.models import AuditEvent

    before = AuditEvent.objects.count()
    client.force_login(unit_admin_a)
    assert client.get(reverse("web:my-work")).status_code == 200
    assert AuditEvent.objects.count() == before
    assert org is not None
