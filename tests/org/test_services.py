"""org.services rules the pages and API rely on: accounts all or nothing, who may switch a unit off."""

import pytest
from django.contrib.auth import get_user_model

from yunwei.audit import services as audit
from yunwei.audit.models import AuditEvent
from yunwei.core.errors import PermissionDenied
from yunwei.org import services
from yunwei.org.models import Person, Unit

pytestmark = pytest.mark.django_db


def test_create_account_failing_part_way_leaves_nothing(org_records_a, group_admin, monkeypatch):
    person = org_records_a["person"]
    events = AuditEvent.objects.count()

    def fail(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit, "record", fail)
    with pytest.raises(RuntimeError):
        services.create_account(person, actor=group_admin, username="jia", password="a-long-password-77")
    monkeypatch.undo()
    assert not get_user_model().objects.filter(username="jia").exists()
    assert Person.objects.get(pk=person.pk).account_id is None
    assert AuditEvent.objects.count() == events


def test_create_account_checks_the_stored_person(org_records_a, group_admin):
    person = org_records_a["person"]
    stale = Person.objects.get(pk=person.pk)
    services.create_account(person, actor=group_admin, username="jia", password="a-long-password-77")
    with pytest.raises(services.DomainError):
        services.create_account(stale, actor=group_admin, username="jia2", password="a-long-password-77")
    assert Person.objects.get(pk=person.pk).account.username == "jia"


def test_unit_admin_cannot_switch_their_unit_off(unit_a, unit_admin_a):
    with pytest.raises(PermissionDenied):
        services.update(unit_a, actor=unit_admin_a, is_active=False)
    assert Unit.objects.get(pk=unit_a.pk).is_active
    services.update(unit_a, actor=unit_admin_a, name="甲单位（新）", is_active=True)  # unchanged: fine
    unit_a = Unit.objects.get(pk=unit_a.pk)
    assert (unit_a.name, unit_a.is_active) == ("甲单位（新）", True)


def test_unit_admin_cannot_switch_their_unit_off_through_the_api(unit_a, unit_admin_a, api_client_for):
    response = api_client_for(unit_admin_a).patch(
        f"/api/org/units/{unit_a.pk}/", {"is_active": False, "version": unit_a.version}, format="json"
    )
    assert response.status_code == 403
    assert Unit.objects.get(pk=unit_a.pk).is_active


def test_group_admin_switches_a_unit_off(unit_a, group_admin):
    services.update(unit_a, actor=group_admin, is_active=False)
    assert not Unit.objects.get(pk=unit_a.pk).is_active
