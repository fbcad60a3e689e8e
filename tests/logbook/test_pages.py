"""The log-book pages: a unit's month with its gaps, the review signed from its page, a round walked on a
phone from its QR code, a reading escalated in one step, bad input said on the page."""

import datetime

import pytest
from django.urls import reverse

from yunwei.incidents.models import Incident
from yunwei.logbook import services
from yunwei.logbook.models import LogNote, MonthlyReview, Rectification, Round

from ..conftest import PASSWORD
from .conftest import FEBRUARY, at, walk, walk_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_month_page_shows_the_three_logs_with_their_gaps(en_client, unit_a, template, tech_a):
    walk_month(template, tech_a, FEBRUARY, skip={datetime.date(2026, 2, 10)})
    walk(template, tech_a, datetime.date(2026, 2, 11), temperature="33")
    services.record_note(
        actor=tech_a,
        unit=unit_a,
        occurred_at=at(datetime.date(2026, 2, 3)),
        kind="handover",
        text="交班：空调滤网已清洗",
    )
    en_client.force_login(tech_a)
    response = en_client.get(reverse("logbook:month", args=[unit_a.pk]), {"month": "2026-02"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Data-backup log" in page and "Daily management log" in page and "Problem-tracking log" in page
    assert "2026-02-10 · 机房巡检" in page  # the missing round
    assert "1 round missing" in page
    assert "交班：空调滤网已清洗" in page
    assert "1 out of limits" in page


def test_a_malformed_or_future_month_is_said_on_the_page(en_client, unit_a, tech_a):
    en_client.force_login(tech_a)
    for month in ("2026-13", "2027-01"):
        response = en_client.get(reverse("logbook:month", args=[unit_a.pk]), {"month": month})
        assert response.status_code == 200
        assert (
            "Give the month as YYYY-MM." in response.content.decode()
            or "The month lies in the future." in (response.content.decode())
        )


def test_a_lead_confirms_records_a_finding_rectifies_and_signs_from_the_review_page(
    en_client, unit_a, lead, tech_a
):
    en_client.force_login(lead)
    url = reverse("logbook:review", args=[unit_a.pk])
    assert en_client.get(url, {"month": "2026-02"}).status_code == 200
    for log in ("backup", "daily", "problems"):
        en_client.post(reverse("logbook:review-confirm", args=[unit_a.pk]), {"month": "2026-02", "log": log})
    en_client.post(
        reverse("logbook:review-finding", args=[unit_a.pk]),
        {"month": "2026-02", "log": "daily", "text": "交接班记录不全"},
    )
    review = MonthlyReview.objects.get(unit=unit_a, month=FEBRUARY)
    assert review.all_confirmed
    finding = review.findings.get()
    response = en_client.post(
        reverse("logbook:finding-rectify", args=[finding.pk]),
        {"owner": tech_a.person.pk, "deadline": "2026-03-31"},
    )
    rect = Rectification.objects.get()
    assert response.url == reverse("logbook:rectification-detail", args=[rect.pk])
    # A wrong password: said on the page, nothing signed.
    response = en_client.post(
        reverse("logbook:review-sign", args=[unit_a.pk]),
        {"month": "2026-02", "password": "nope"},
        follow=True,
    )
    assert "The password is wrong." in response.content.decode()
    review.refresh_from_db()
    assert review.state == "open"
    response = en_client.post(
        reverse("logbook:review-sign", args=[unit_a.pk]),
        {"month": "2026-02", "password": PASSWORD},
        follow=True,
    )
    assert "The month is signed." in response.content.decode()
    review.refresh_from_db()
    assert review.state == "signed" and review.signed_by == lead


def test_signing_a_future_month_is_refused_naming_the_month(en_client, unit_a, lead):
    en_client.force_login(lead)
    response = en_client.post(
        reverse("logbook:review-sign", args=[unit_a.pk]),
        {"month": "2027-05", "password": PASSWORD},
        follow=True,
    )
    assert "The month lies in the future." in response.content.decode()
    assert not MonthlyReview.objects.exists()


def test_a_technician_may_not_sign(en_client, unit_a, tech_a):
    en_client.force_login(tech_a)
    response = en_client.post(
        reverse("logbook:review-sign", args=[unit_a.pk]), {"month": "2026-02", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert not MonthlyReview.objects.exists()


def test_editing_an_entry_of_a_signed_month_is_refused_on_its_page(en_client, unit_a, lead, tech_a):
    from .conftest import sign_month

    note = services.record_note(
        actor=tech_a, unit=unit_a, occurred_at=at(datetime.date(2026, 2, 3)), kind="routine", text="更换风扇"
    )
    sign_month(unit_a, FEBRUARY, lead)
    en_client.force_login(tech_a)
    url = reverse("logbook:note-edit", args=[note.pk])
    assert "This month is signed" in en_client.get(url).content.decode()
    response = en_client.post(url, {"occurred_at": "2026-02-03T09:00", "kind": "routine", "text": "改"})
    assert response.status_code == 200
    assert "2026-02 is signed" in response.content.decode()
    note.refresh_from_db()
    assert note.text == "更换风扇"


def test_the_qr_code_opens_the_round_on_a_phone_and_records_it(en_client, template, tech_a):
    en_client.force_login(tech_a)
    qr = en_client.get(reverse("logbook:template-qr", args=[template.pk]))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    walk_url = reverse("logbook:round-walk", args=[template.pk])
    page = en_client.get(walk_url, HTTP_USER_AGENT="Mozilla/5.0 (iPhone)").content.decode()
    assert 'name="viewport"' in page and "温度" in page and 'inputmode="decimal"' in page
    points = list(template.checkpoints.order_by("position"))
    data = {"occurred_at": "2026-03-15T08:30", "remarks": "", "correction": ""}
    data.update({f"cp_{points[0].pk}": "hot", f"cp_{points[1].pk}": "50", f"cp_{points[2].pk}": "40"})
    data[f"cp_{points[3].pk}"] = "yes"
    response = en_client.post(walk_url, data)
    assert response.status_code == 200
    assert "Reading “温度” must be a number." in response.content.decode()
    assert not Round.objects.exists()
    data[f"cp_{points[0].pk}"] = "30"
    response = en_client.post(walk_url, data)
    round_ = Round.objects.get()
    assert response.url == reverse("logbook:round-detail", args=[round_.pk])
    detail = en_client.get(response.url).content.decode()
    assert "Out of limits" in detail
    reading = round_.readings.get(out_of_limits=True)
    en_client.post(reverse("logbook:reading-escalate", args=[reading.pk]), {"to": "incident"})
    reading.refresh_from_db()
    assert reading.incident == Incident.objects.get()


def test_a_note_is_recorded_from_its_page(en_client, unit_a, tech_a):
    en_client.force_login(tech_a)
    url = reverse("logbook:note-create", args=[unit_a.pk])
    response = en_client.post(
        url, {"occurred_at": "2026-03-14T20:00", "kind": "handover", "text": "夜班交接"}
    )
    assert response.status_code == 302
    note = LogNote.objects.get()
    assert note.text == "夜班交接" and note.recorded_by == tech_a


def test_the_index_and_rectification_list_render(en_client, unit_a, lead):
    en_client.force_login(lead)
    assert "甲单位" in en_client.get(reverse("logbook:index")).content.decode()
    assert en_client.get(reverse("logbook:rectification-list")).status_code == 200
    assert en_client.get(reverse("logbook:template-list")).status_code == 200
    assert en_client.get(reverse("logbook:template-create")).status_code == 200


def test_a_round_template_is_made_from_its_page_and_a_bad_limit_is_named(
    en_client, unit_a, tech_a, machine_room_team
):
    from yunwei.logbook.models import RoundTemplate

    en_client.force_login(tech_a)
    url = reverse("logbook:template-create")
    data = {
        "unit": unit_a.pk,
        "team": machine_room_team.pk,
        "name": "服务器巡检",
        "weekdays": ["0", "2", "4"],
        "checkpoints": "CPU | number | % | | 85\n指示灯 | boolean\n温度 | number | °C | low | 30",
    }
    response = en_client.post(url, data)
    assert response.status_code == 200
    assert "Line 3: a limit must be a number." in response.content.decode()
    assert not RoundTemplate.objects.exists()
    data["checkpoints"] = "CPU | number | % | | 85\n指示灯 | boolean"
    response = en_client.post(url, data)
    template = RoundTemplate.objects.get()
    assert response.url == reverse("logbook:template-detail", args=[template.pk])
    assert template.weekdays == [0, 2, 4]
    assert list(template.checkpoints.values_list("label", "kind", "high")) == [
        ("CPU", "number", 85.0),
        ("指示灯", "boolean", None),
    ]
