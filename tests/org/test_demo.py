"""The demo data is what issue 2 promises (loaded the way `yunwei serve` loads it: the demo command)."""

import io
import os
import subprocess
import sys

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory, override_settings

from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import MaintenanceContract, Person, Team, Unit, Vendor

pytestmark = pytest.mark.django_db


def _can_log_in(username: str, password: str) -> bool:
    return (
        authenticate(RequestFactory().post("/accounts/login/"), username=username, password=password)
        is not None
    )


@pytest.fixture(scope="module")
def demo(module_db):
    with override_settings(DEMO_PASSWORD="changed-demo-pass-8"):
        call_command("demo", stdout=io.StringIO())


def test_demo_group_units_people_and_vendors(demo):
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


def test_demo_accounts_log_in_with_the_demo_password(demo):
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


@pytest.mark.django_db(databases=[])
@pytest.mark.parametrize(
    ("environ", "expected"), [({}, "yunwei-demo"), ({"YUNWEI_DEMO_PASSWORD": "x-9"}, "x-9")]
)
def test_the_demo_password_comes_from_yunwei_demo_password(environ, expected, monkeypatch):
    monkeypatch.delenv("YUNWEI_DEMO_PASSWORD", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEMO_PASSWORD)"
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "yunwei.settings"},
    )
    assert result.stdout.strip() == expected
