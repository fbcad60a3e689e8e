"""Log-book fixtures: the group's system management lead, technical staff of unit A, an inspection round
of unit A's machine room with limits, and helpers to walk it and close a month."""

import datetime

import pytest
import time_machine
from django.utils import timezone, translation

from yunwei.logbook import services
from yunwei.org.choices import Role

from ..conftest import PASSWORD, make_user

# Every log-book test runs on a fixed day: 2026-03-15 10:00 Shanghai; February is the month reviewed.
NOW = datetime.datetime(2026, 3, 15, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
FEBRUARY = datetime.date(2026, 2, 1)
MARCH = datetime.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_default_timezone())


@pytest.fixture
def lead(group):
    return make_user("lead", group, Role.SYSTEM_LEAD, name="系统管理负责人")


@pytest.fixture
def tech_a(unit_a):
    return make_user("a-tech", unit_a, Role.TECH_STAFF, name="甲技术员")


@pytest.fixture
def tech_a2(unit_a):
    return make_user("a-tech-2", unit_a, Role.TECH_STAFF, name="甲技术员二")


@pytest.fixture
def machine_room_team(unit_a, group_admin):
    from yunwei.org import services as org
    from yunwei.org.models import Team

    return org.create(
        Team, actor=group_admin, unit=unit_a, code="wired", name="有线科", domains=["machine_room"]
    )


@pytest.fixture
def template(unit_a, tech_a, machine_room_team):
    """The machine-room round of 有线科, due every day since 1 February."""
    return services.create_template(
        actor=tech_a,
        unit=unit_a,
        team=machine_room_team,
        name="机房巡检",
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        active_from=FEBRUARY,
        checkpoints=[
            {"label": "温度", "kind": "number", "unit_label": "°C", "low": 18, "high": 27},
            {"label": "湿度", "kind": "number", "unit_label": "%", "low": 40, "high": 60},
            {"label": "UPS 负载", "kind": "number", "unit_label": "%", "high": 80},
            {"label": "无告警", "kind": "boolean"},
        ],
    )


def readings(template, temperature="22", humidity="50", ups="40", quiet="yes") -> dict:
    values = [temperature, humidity, ups, quiet]
    return {c.pk: v for c, v in zip(template.current_checkpoints(), values, strict=True)}


def walk(template, actor, day: datetime.date, **values):
    return services.record_round(
        actor=actor,
        template=template,
        occurred_at=at(day),
        performed_by=actor.person,
        readings=readings(template, **values),
    )


def walk_month(template, actor, month: datetime.date, skip=()):
    day = month
    while day.month == month.month:
        if day not in skip:
            walk(template, actor, day)
        day += datetime.timedelta(days=1)


def confirm_all(review, lead):
    for log in ("backup", "daily", "problems"):
        review = services.confirm_log(review, log, actor=lead)
    return review


def sign_month(unit, month, lead):
    review = confirm_all(services.open_review(unit, month, actor=lead), lead)
    return services.sign(review, actor=lead, password=PASSWORD)
