"""The log books' API: the month's facts, entries, the review signed with a fresh factor, bad input."""

import datetime

import pytest

from yunwei.logbook import services
from yunwei.logbook.models import LogNote, MonthlyReview

from ..conftest import PASSWORD
from .conftest import FEBRUARY, at, sign_month, walk_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client_for):
    def build(user):
        client = api_client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return build


def test_the_month_answers_the_review_the_backup_days_and_the_missing_rounds(api, unit_a, template, tech_a):
    walk_month(template, tech_a, FEBRUARY, skip={datetime.date(2026, 2, 10)})
    response = api(tech_a).get("/api/logbook/month/", {"unit": unit_a.pk, "month": "2026-02"})
    assert response.status_code == 200
    body = response.json()
    assert body["review"] is None and body["due_on"] == "2026-03-10" and body["overdue"] is True
    assert body["summary"]["daily"]["missing"] == [
        {"template": template.pk, "name": "机房巡检", "day": "2026-02-10"}
    ]
    assert len(body["backup_evidence"]["days"]) == 28


def test_another_units_month_is_404(api, unit_a, unit_admin_b):
    response = api(unit_admin_b).get("/api/logbook/month/", {"unit": unit_a.pk, "month": "2026-02"})
    assert response.status_code == 404


@pytest.mark.parametrize("month", ["2026-13", "2026/02", "2027-01"])
def test_a_malformed_or_future_month_is_a_400_naming_month(api, unit_a, tech_a, month):
    response = api(tech_a).get("/api/logbook/month/", {"unit": unit_a.pk, "month": month})
    assert response.status_code == 400
    assert response.json()["field"] == "month"
    response = api(tech_a).get("/api/logbook/notes/", {"month": month})
    assert response.status_code == 400 and response.json()["field"] == "month"


def test_opening_another_units_review_is_refused_as_missing(api, unit_a, unit_b, group):
    from yunwei.org.choices import Role

    from ..conftest import make_user

    lead_b = make_user("lead-b", unit_b, Role.SYSTEM_LEAD)
    response = api(lead_b).post(
        "/api/logbook/reviews/open/", {"unit": unit_a.pk, "month": "2026-02"}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"] == "unit"
    assert not MonthlyReview.objects.exists()


def test_a_lead_signs_through_the_api_and_a_wrong_password_is_a_400(api, unit_a, lead):
    http = api(lead)
    review = http.post(
        "/api/logbook/reviews/open/", {"unit": unit_a.pk, "month": "2026-02"}, format="json"
    ).json()
    for log in ("backup", "daily", "problems"):
        assert (
            http.post(
                f"/api/logbook/reviews/{review['id']}/confirm/", {"log": log}, format="json"
            ).status_code
            == 200
        )
    wrong = http.post(f"/api/logbook/reviews/{review['id']}/sign/", {"password": "wrong"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["field"] == "password"
    signed = http.post(f"/api/logbook/reviews/{review['id']}/sign/", {"password": PASSWORD}, format="json")
    assert signed.status_code == 200 and signed.json()["state"] == "signed"
    again = http.post(f"/api/logbook/reviews/{review['id']}/sign/", {"password": PASSWORD}, format="json")
    assert again.status_code == 409


def test_editing_a_signed_months_entry_is_a_409_and_changes_nothing(api, unit_a, lead, tech_a):
    note = services.record_note(
        actor=tech_a, unit=unit_a, occurred_at=at(datetime.date(2026, 2, 3)), kind="routine", text="原文"
    )
    sign_month(unit_a, FEBRUARY, lead)
    response = api(tech_a).patch(
        f"/api/logbook/notes/{note.pk}/", {"text": "改", "version": 1}, format="json"
    )
    assert response.status_code == 409
    assert "2026-02 is signed" in response.json()["detail"]
    note.refresh_from_db()
    assert note.text == "原文" and note.version == 1


def test_a_late_entry_without_what_it_corrects_is_a_400_naming_correction(api, unit_a, lead, tech_a):
    sign_month(unit_a, FEBRUARY, lead)
    body = {"unit": unit_a.pk, "occurred_at": "2026-02-14T10:00:00+08:00", "kind": "routine", "text": "补记"}
    response = api(tech_a).post("/api/logbook/notes/", body, format="json")
    assert response.status_code == 400 and response.json()["field"] == "correction"
    assert not LogNote.objects.exists()
    response = api(tech_a).post("/api/logbook/notes/", {**body, "correction": "漏记"}, format="json")
    assert response.status_code == 201 and response.json()["is_correction"] is True


def test_a_round_with_a_reading_of_the_wrong_type_is_a_400_naming_readings(api, template, tech_a):
    points = list(template.checkpoints.order_by("position"))
    body = {
        "template": template.pk,
        "occurred_at": "2026-03-14T09:00:00+08:00",
        "readings": {
            str(points[0].pk): "warm",
            str(points[1].pk): "50",
            str(points[2].pk): "40",
            str(points[3].pk): "yes",
        },
    }
    response = api(tech_a).post("/api/logbook/rounds/", body, format="json")
    assert response.status_code == 400 and response.json()["field"] == "readings"
    body["readings"][str(points[0].pk)] = "29"
    response = api(tech_a).post("/api/logbook/rounds/", body, format="json")
    assert response.status_code == 201
    flagged = [v for v in response.json()["values"] if v["out_of_limits"]]
    assert [v["label"] for v in flagged] == ["温度"]


def test_an_attachment_is_stored_with_its_sha256(api, unit_a, tech_a):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    note = services.record_note(
        actor=tech_a, unit=unit_a, occurred_at=at(datetime.date(2026, 3, 3)), kind="routine", text="x"
    )
    content = b"UPS load 45%"
    response = api(tech_a).post(
        "/api/logbook/attachments/",
        {"entry_type": "note", "entry_id": note.pk, "file": SimpleUploadedFile("ups.txt", content)},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()


def test_a_unit_number_beyond_the_databases_range_is_bad_input_not_a_server_error(api, tech_a):
    big = "8350664132414482153472"
    month = api(tech_a).get("/api/logbook/month/", {"unit": big, "month": "2026-02"})
    assert month.status_code == 400 and month.json()["field"] == "unit"
    reviews = api(tech_a).get("/api/logbook/reviews/", {"unit": big})
    assert reviews.status_code == 200 and reviews.json()["results"] == []
