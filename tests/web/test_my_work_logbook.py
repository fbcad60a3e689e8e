"""My work's log-book sections (Art. 5), each role against records made for it and for others: the rounds
the person's team walks today and has not, the rectifications they own (overdue ones marked), those they
verify (never their own), and, for the system management lead, last month's review to sign — nothing of
another unit, nothing that is not theirs."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from yunwei.logbook import services as logbook
from yunwei.org import services as org
from yunwei.org.choices import Role
from yunwei.org.models import Team

from ..conftest import make_user
from ..logbook.conftest import FEBRUARY, NOW, at, sign_month

pytestmark = pytest.mark.django_db

TODAY = NOW.date()  # Sunday 15 March 2026, Shanghai
MONDAY_ONLY = [0]
EVERY_DAY = list(range(7))


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _team(unit, code, admin):
    return org.create(Team, actor=admin, unit=unit, code=code, name=code, domains=["machine_room"])


def _member(username, unit, team, role=Role.TECH_STAFF):
    user = make_user(username, unit, role, name=username)
    user.person.team = team
    user.person.save()
    return user


def _template(actor, unit, team, name, weekdays=EVERY_DAY):
    return logbook.create_template(
        actor=actor,
        unit=unit,
        team=team,
        name=name,
        weekdays=weekdays,
        active_from=FEBRUARY,
        checkpoints=[{"label": "温度", "kind": "number", "unit_label": "°C", "low": 18, "high": 27}],
    )


def walk(template, actor, day, temperature="22"):
    [checkpoint] = template.checkpoints.all()
    return logbook.record_round(
        actor=actor,
        template=template,
        occurred_at=at(day),
        performed_by=actor.person,
        readings={checkpoint.pk: temperature},
    )


def _sections(client, user) -> dict[str, list[str]]:
    client.force_login(user)
    response = client.get(reverse("web:my-work"))
    assert response.status_code == 200
    return {s.key: [e.code for e in s.entries] for s in response.context["sections"]}


def _section(client, user, key):
    client.force_login(user)
    response = client.get(reverse("web:my-work"))
    return next(s for s in response.context["sections"] if s.key == key), response


@pytest.fixture
def lead(group):
    return make_user("lead", group, Role.SYSTEM_LEAD, name="系统管理负责人")


def test_rounds_due_today_are_those_of_the_persons_team_not_walked_yet(
    client, unit_a, unit_b, group_admin, unit_user_a
):
    wired, network = _team(unit_a, "wired", group_admin), _team(unit_a, "net", group_admin)
    wired_b = _team(unit_b, "wired-b", group_admin)
    tech, colleague = _member("a-tech", unit_a, wired), _member("a-colleague", unit_a, wired)
    other_team = _member("a-net", unit_a, network)
    tech_b = _member("b-tech", unit_b, wired_b)
    plain = _member("a-plain", unit_a, wired, role=Role.USER)

    due = _template(tech, unit_a, wired, "机房巡检")
    walked = _template(tech, unit_a, wired, "配电巡检")
    monday = _template(tech, unit_a, wired, "周一巡检", weekdays=MONDAY_ONLY)
    network_round = _template(other_team, unit_a, network, "网络巡检")
    foreign = _template(tech_b, unit_b, wired_b, "乙机房巡检")
    walk(walked, colleague, TODAY, temperature="22")  # the team walked it today: nothing left to do
    # Yesterday's walk of the due round does not count for today.
    walk(due, tech, TODAY - datetime.timedelta(days=1), temperature="22")

    code = lambda t: f"RTP{t.pk:05d}"  # noqa: E731
    assert TODAY.weekday() == 6
    assert _sections(client, tech)["rounds-due"] == [code(due)]
    assert _sections(client, colleague)["rounds-due"] == [code(due)]
    assert _sections(client, other_team)["rounds-due"] == [code(network_round)]
    assert _sections(client, tech_b)["rounds-due"] == [code(foreign)]
    assert "rounds-due" not in _sections(client, plain)  # a plain user writes no log book
    assert "rounds-due" not in _sections(client, unit_user_a)  # nor somebody without a team
    assert code(monday) not in str(_sections(client, tech))

    # Walked now: it leaves the list; the page links to the round's walk.
    section, _response = _section(client, tech, "rounds-due")
    assert section.entries[0].url == reverse("logbook:round-walk", args=[due.pk])
    walk(due, tech, TODAY, temperature="23")
    assert _sections(client, tech)["rounds-due"] == []


@pytest.fixture
def rectifications(unit_a, unit_b, lead):
    """Four items of February's findings: A's owned by the technician (one declared done), another of A's
    owned by a colleague, one of B's."""
    tech = make_user("a-tech", unit_a, Role.TECH_STAFF, name="甲技术员")
    colleague = make_user("a-colleague", unit_a, Role.TECH_STAFF, name="甲同事")
    tech_b = make_user("b-tech", unit_b, Role.TECH_STAFF, name="乙技术员")

    def item(unit, owner, text, deadline):
        review = logbook.open_review(unit, FEBRUARY, actor=lead)
        finding = logbook.add_finding(review, log="daily", text=text, actor=lead)
        return logbook.rectify(finding, actor=lead, owner=owner.person, deadline=deadline, title=text)

    soon = TODAY + datetime.timedelta(days=3)
    mine = item(unit_a, tech, "补记巡检", soon)
    done = item(unit_a, tech, "补齐备份记录", soon)
    done = logbook.transition(done, to="in_progress", actor=tech)
    done = logbook.transition(done, to="done", actor=tech, result="已补齐")
    theirs = item(unit_a, colleague, "同事的整改", soon)
    foreign = item(unit_b, tech_b, "乙单位整改", soon)
    foreign = logbook.transition(foreign, to="in_progress", actor=tech_b)
    foreign_done = logbook.transition(foreign, to="done", actor=tech_b, result="已完成")
    return {
        "tech": tech,
        "colleague": colleague,
        "tech_b": tech_b,
        "mine": mine,
        "done": done,
        "theirs": theirs,
        "foreign": foreign_done,
    }


def test_rectifications_wait_on_their_owner_and_overdue_ones_are_marked(client, rectifications, unit_admin_b):
    r = rectifications
    owned = _sections(client, r["tech"])["rectifications-owned"]
    assert owned == [r["mine"].code]  # the done one waits on somebody else now
    assert _sections(client, r["colleague"])["rectifications-owned"] == [r["theirs"].code]
    assert r["mine"].code not in str(_sections(client, r["tech_b"]))
    assert r["mine"].code not in str(_sections(client, unit_admin_b))

    section, response = _section(client, r["tech"], "rectifications-owned")
    assert section.entries[0].late is None
    with time_machine.travel(NOW + datetime.timedelta(days=5), tick=False):
        section, response = _section(client, r["tech"], "rectifications-owned")
    [entry] = section.entries
    assert entry.late is not None and entry.late > datetime.timedelta(days=1)
    page = response.content.decode()
    assert f'data-testid="entry-{r["mine"].code}" class="table-danger"' in page


def test_a_done_rectification_is_verified_by_somebody_other_than_its_owner_of_the_unit(
    client, rectifications, lead, unit_admin_a, unit_admin_b, unit_user_a
):
    r = rectifications
    done, foreign = r["done"].code, r["foreign"].code
    assert _sections(client, r["tech"])["rectifications-to-verify"] == []  # never one's own
    assert _sections(client, r["colleague"])["rectifications-to-verify"] == [done]
    assert _sections(client, unit_admin_a)["rectifications-to-verify"] == [done]
    assert _sections(client, lead)["rectifications-to-verify"] == sorted([done, foreign])
    assert _sections(client, unit_admin_b)["rectifications-to-verify"] == [foreign]
    assert "rectifications-to-verify" not in _sections(client, unit_user_a)

    logbook.transition(r["done"], to="verified", actor=r["colleague"])
    assert _sections(client, unit_admin_a)["rectifications-to-verify"] == []


def test_the_lead_signs_last_months_review_of_the_units_they_lead(
    client, group, unit_a, unit_b, lead, unit_admin_a
):
    lead_b = make_user("lead-b", unit_b, Role.SYSTEM_LEAD, name="乙系统管理负责人")
    a, b, g = f"{unit_a.code}/2026-02", f"{unit_b.code}/2026-02", f"{group.code}/2026-02"
    assert sorted(_sections(client, lead)["review-to-sign"]) == sorted([a, b, g])
    assert _sections(client, lead_b)["review-to-sign"] == [b]
    assert "review-to-sign" not in _sections(client, unit_admin_a)

    sign_month(unit_a, FEBRUARY, lead)
    assert a not in _sections(client, lead)["review-to-sign"]
    section, _response = _section(client, lead_b, "review-to-sign")
    [entry] = section.entries
    assert entry.url == reverse("logbook:review", args=[unit_b.pk]) + "?month=2026-02"
    expected_due = datetime.datetime.combine(
        logbook.facts.due_on(FEBRUARY) + datetime.timedelta(days=1),
        datetime.time(),
        tzinfo=timezone.get_current_timezone(),
    )
    assert entry.due == expected_due
    assert (entry.late is not None) == (expected_due < NOW)

    # An open review keeps the due day it was opened with.
    review = logbook.open_review(unit_b, FEBRUARY, actor=lead_b)
    section, _response = _section(client, lead_b, "review-to-sign")
    assert section.entries[0].due.date() == review.due_on + datetime.timedelta(days=1)
