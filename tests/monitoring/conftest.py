"""Monitoring fixtures: a backup job and a cron job of unit A made through the services, and a helper that
pings like a job's script does."""

import pytest
from django.utils import translation

from yunwei.monitoring import services
from yunwei.monitoring.models import Heartbeat
from yunwei.org.choices import Role
from yunwei.org.models import Person

from ..conftest import make_item, make_user


@pytest.fixture(autouse=True)
def _english():
    """Service messages are asserted in the source language; pages and API answer in the reader's."""
    with translation.override("en"):
        yield


@pytest.fixture
def db_server_a(unit_a, group_admin, team_a):
    return make_item(unit_a, "application", "OA-DB", actor=group_admin, name="甲数据库", owner_team=team_a)


@pytest.fixture
def backup_a(unit_a, group_admin, db_server_a) -> Heartbeat:
    """A nightly database backup: every day, an hour's grace, at least 60 s and 1 MB."""
    return services.create(
        Heartbeat,
        actor=group_admin,
        unit=unit_a,
        item=db_server_a,
        name="甲数据库夜间备份",
        kind="backup",
        period=86400,
        grace=3600,
        min_run_time=60,
        min_size=1_000_000,
    )


@pytest.fixture
def cron_a(unit_a, group_admin) -> Heartbeat:
    """A cron job at 02:30 Shanghai time, thirty minutes' grace."""
    return services.create(
        Heartbeat,
        actor=group_admin,
        unit=unit_a,
        name="甲日志清理",
        kind="cron",
        schedule_kind="cron",
        cron_expression="30 2 * * *",
        tz="Asia/Shanghai",
        grace=1800,
    )


@pytest.fixture
def staff_a(unit_a):
    return make_user("a-staff", unit_a, Role.TECH_STAFF)


@pytest.fixture
def team_member_a(team_a, unit_a):
    """A member of the team owning the database server: whom its heartbeat's notices reach."""
    user = make_user("a-ops", unit_a, Role.TECH_STAFF)
    Person.objects.filter(account=user).update(team=team_a)
    return user
