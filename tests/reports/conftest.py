"""Report fixtures: a fixed day (2026-03-15 10:00 Shanghai; February is the month reported), the system
management leads of unit A and of the group, technical staff of unit A, and helpers."""

import datetime

import pytest
import time_machine
from django.utils import timezone, translation

from yunwei.org.choices import Role

from ..conftest import make_user

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


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def at(day: datetime.date, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=timezone.get_default_timezone())


@pytest.fixture
def lead_a(unit_a):
    return make_user("a-lead", unit_a, Role.SYSTEM_LEAD, name="甲负责人")


@pytest.fixture
def group_lead(group):
    return make_user("lead", group, Role.SYSTEM_LEAD, name="集团负责人")


@pytest.fixture
def tech_a(unit_a):
    return make_user("a-tech", unit_a, Role.TECH_STAFF, name="甲技术员")
