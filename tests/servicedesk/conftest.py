"""Service-desk fixtures: the shipped catalogue, a unit's leader, the group's technical staff, and helpers
to make requests at a fixed working moment."""

import datetime

import pytest
from django.utils import timezone, translation

from yunwei.org.choices import Role
from yunwei.servicedesk import services
from yunwei.servicedesk.models import RequestType

from ..conftest import make_user

ZONE = datetime.timezone(datetime.timedelta(hours=8))
# A Monday morning, within working hours on the shipped calendar.
MONDAY = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=ZONE)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def leader_a(unit_a):
    return make_user("a-leader", unit_a, Role.LEADER)


@pytest.fixture
def tech_staff(group):
    return make_user("group-tech", group, Role.TECH_STAFF)


@pytest.fixture
def other_group_admin(group):
    return make_user("group-admin-2", group, Role.GROUP_ADMIN)


@pytest.fixture
def make_request():
    def build(actor, code, title="请求", now=MONDAY, **kwargs):
        return services.submit(
            actor=actor, request_type=RequestType.objects.get(code=code), title=title, now=now, **kwargs
        )

    return build


def local(moment):
    return timezone.localtime(moment, ZONE)
