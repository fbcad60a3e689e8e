"""Phone numbers and e-mail addresses in audit events show masked; un-masking them is audited."""

import pytest
from django.urls import reverse

from yunwei.audit import services as audit
from yunwei.audit.models import AuditEvent
from yunwei.org import services
from yunwei.org.models import Person, VendorEngineer

pytestmark = pytest.mark.django_db

PHONE, EMAIL = "13900000001", "jia@example.cn"


@pytest.fixture
def person_event(org_records_a):
    person = org_records_a["person"]
    audit.seal()  # as just after the commit of the org records
    return AuditEvent.objects.get(action="create", object_type="org.person", object_id=str(person.pk))


@pytest.fixture
def engineer_event(org_records_a):
    engineer = org_records_a["engineer"]
    audit.seal()
    return AuditEvent.objects.get(
        action="create", object_type="org.vendorengineer", object_id=str(engineer.pk)
    )


def test_the_stored_event_keeps_the_real_values(person_event):
    assert person_event.after["phone"] == PHONE
    assert person_event.after["email"] == EMAIL
    assert audit.verify_chain().ok


def test_api_shows_personal_fields_masked(person_event, engineer_event, group_admin, api_client_for):
    http = api_client_for(group_admin)
    rows = {row["seq"]: row for row in http.get("/api/audit/events/", {"page_size": 200}).json()["results"]}
    shown = rows[person_event.seq]["after"]
    assert shown["phone"] == services.mask_phone(PHONE) != PHONE
    assert shown["email"] == services.mask_email(EMAIL) != EMAIL
    assert shown["name"] == "甲某某"  # other fields as they are
    assert rows[person_event.seq]["personal_data_masked"] is True
    assert rows[engineer_event.seq]["after"]["phone"] == services.mask_phone("13900000002")
    detail = http.get(f"/api/audit/events/{person_event.seq}/").json()
    assert PHONE not in str(detail) and EMAIL not in str(detail)


def test_api_masks_an_update_diff(org_records_a, group_admin, api_client_for):
    person = org_records_a["person"]
    services.update(person, actor=group_admin, phone="13700000009")
    audit.seal()
    event = AuditEvent.objects.filter(action="update", object_type="org.person").latest("seq")
    shown = api_client_for(group_admin).get(f"/api/audit/events/{event.seq}/").json()
    assert shown["before"]["phone"] == services.mask_phone(PHONE)
    assert shown["after"]["phone"] == services.mask_phone("13700000009")


def test_api_reveal_returns_the_real_values_and_is_audited(person_event, group_admin, api_client_for):
    response = api_client_for(group_admin).post(f"/api/audit/events/{person_event.seq}/reveal/")
    assert response.status_code == 200
    assert response.json()["after"]["phone"] == PHONE
    audit.seal()
    unmask = AuditEvent.objects.latest("seq")
    assert (unmask.action, unmask.actor_id, unmask.object_id) == (
        "unmask",
        group_admin.pk,
        str(person_event.seq),
    )
    assert audit.verify_chain().ok


def test_others_cannot_reveal(person_event, unit_admin_a, api_client_for):
    response = api_client_for(unit_admin_a).post(f"/api/audit/events/{person_event.seq}/reveal/")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="unmask").exists()


def test_event_page_shows_personal_fields_masked(person_event, group_admin, client):
    client.force_login(group_admin)
    response = client.get(reverse("audit:event-detail", args=[person_event.seq]))
    assert response.status_code == 200
    assert PHONE not in response.text and EMAIL not in response.text
    assert services.mask_phone(PHONE) in response.text
    assert 'data-testid="reveal-event"' in response.text


def test_event_page_reveal_shows_them_and_is_audited(person_event, group_admin, client):
    client.force_login(group_admin)
    response = client.post(reverse("audit:event-reveal", args=[person_event.seq]))
    assert response.status_code == 200
    assert PHONE in response.text and EMAIL in response.text
    assert 'data-testid="revealed"' in response.text
    assert AuditEvent.objects.filter(action="unmask", object_id=str(person_event.seq)).count() == 1


def test_reveal_page_is_post_only_and_not_for_others(person_event, unit_admin_a, client):
    client.force_login(unit_admin_a)
    assert client.post(reverse("audit:event-reveal", args=[person_event.seq])).status_code == 404
    assert not AuditEvent.objects.filter(action="unmask").exists()


def test_events_without_personal_data_offer_no_reveal(unit_a, group_admin, client):
    event = audit.record("update", obj=unit_a, after={"name": "新名"})
    audit.seal()
    event.refresh_from_db()
    client.force_login(group_admin)
    response = client.get(reverse("audit:event-detail", args=[event.seq]))
    assert 'data-testid="reveal-event"' not in response.text


def test_org_pages_and_audit_share_one_masking():
    assert services.mask_phone is audit.mask_phone
    assert audit.masked({"phone": PHONE, "mobile": PHONE, "email": EMAIL, "nested": [{"email": EMAIL}]}) == {
        "phone": "139****0001",
        "mobile": "139****0001",
        "email": "j***@example.cn",
        "nested": [{"email": "j***@example.cn"}],
    }
    assert Person.personal_fields == VendorEngineer.personal_fields == ("phone", "email")
