"""The whole demo, loaded once for this module the way `yunwei serve` loads it (the demo command): what
each area's demo promises, read from one load."""

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from django.utils import timezone

from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import MaintenanceContract, Person, Team, Unit, Vendor
from yunwei.servicedesk import timers
from yunwei.servicedesk.choices import Kind
from yunwei.servicedesk.models import ReplyTemplate, ServiceRequest

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


def test_the_service_desk_has_every_kind_and_state_in_every_unit(demo):
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
