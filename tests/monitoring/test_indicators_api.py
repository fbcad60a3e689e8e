"""The indicators API: CRUD through the services (audited, version on update), bad input a 400 naming the
field, the figures of a month with what availability left out, the breaches read only, and another
unit's indicator a 404 that no list shows."""

import datetime

import pytest

from yunwei.audit.models import AuditEvent
from yunwei.monitoring import services
from yunwei.monitoring.models import Check, CheckRollup, Indicator
from yunwei.monitoring.services import indicators

from ..conftest import make_item
from .targets import free_port

pytestmark = pytest.mark.django_db

URL = "/api/monitoring/indicators/"
BREACHES = "/api/monitoring/indicator-breaches/"


@pytest.fixture
def api_client_for(api_client_for):
    def build(user):
        http = api_client_for(user)
        http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return http

    return build


@pytest.fixture
def check_a(group_admin, db_server_a) -> Check:
    return services.create(
        Check,
        actor=group_admin,
        item=db_server_a,
        name="甲数据库端口",
        kind="tcp",
        spec={"host": "127.0.0.1", "port": free_port()},
    )


def test_a_unit_admin_declares_edits_and_deletes_an_indicator_audited(
    api_client_for, unit_admin_a, db_server_a, check_a
):
    http = api_client_for(unit_admin_a)
    created = http.post(
        URL,
        {
            "item": db_server_a.pk,
            "name": "甲数据库指标",
            "availability_target": "99.9",
            "checks": [check_a.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["unit"], body["checks"], body["availability_target"]) == (
        db_server_a.unit_id,
        [check_a.pk],
        "99.900",
    )
    pk = body["id"]
    assert AuditEvent.objects.filter(action="create", object_id=str(pk)).exists()
    unversioned = http.patch(f"{URL}{pk}/", {"latency_target_ms": 300}, format="json")
    assert unversioned.status_code == 400 and unversioned.json()["field"] == "version"
    edited = http.patch(f"{URL}{pk}/", {"latency_target_ms": 300, "version": 1}, format="json")
    assert edited.status_code == 200 and edited.json()["latency_target_ms"] == 300
    stale = http.patch(f"{URL}{pk}/", {"latency_target_ms": 400, "version": 1}, format="json")
    assert stale.status_code == 409
    assert http.delete(f"{URL}{pk}/").status_code == 204
    assert not Indicator.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"availability_target": "120"}, "availability_target"),
        ({"backup_success_target": "-5"}, "backup_success_target"),
        ({"cert_days_target": 0}, "cert_days_target"),
        ({"backup_age_target_hours": 100000}, "backup_age_target_hours"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client_for, unit_admin_a, db_server_a, fields, field):
    http = api_client_for(unit_admin_a)
    refused = http.post(URL, {"item": db_server_a.pk, "name": "甲指标", **fields}, format="json")
    assert refused.status_code == 400, refused.json()
    assert refused.json()["field"] == field
    assert not Indicator.objects.exists()


def test_an_item_or_a_check_of_another_unit_is_refused_naming_it(
    api_client_for, unit_admin_b, group_admin, db_server_a, check_a, unit_b
):
    http = api_client_for(unit_admin_b)
    foreign_item = http.post(URL, {"item": db_server_a.pk, "name": "越权指标"}, format="json")
    assert foreign_item.status_code == 400 and foreign_item.json()["field"] == "item"
    item_b = make_item(unit_b, "application", "YI-OA", actor=group_admin)
    foreign_check = http.post(
        URL, {"item": item_b.pk, "name": "越权指标", "checks": [check_a.pk]}, format="json"
    )
    assert foreign_check.status_code == 400 and foreign_check.json()["field"] == "checks"
    # A group admin sees both units: the check is named, and refused as of another unit than the item's.
    mixed = api_client_for(group_admin).post(
        URL, {"item": item_b.pk, "name": "混合指标", "checks": [check_a.pk]}, format="json"
    )
    assert mixed.status_code == 400 and mixed.json()["field"] == "checks"
    assert "item's unit" in mixed.json()["detail"]
    assert not Indicator.objects.exists()


def test_a_plain_user_reads_and_may_not_declare(api_client_for, unit_user_a, group_admin, db_server_a):
    indicator = services.create(Indicator, actor=group_admin, item=db_server_a, name="甲数据库指标")
    http = api_client_for(unit_user_a)
    assert [row["id"] for row in http.get(URL).json()["results"]] == [indicator.pk]
    refused = http.post(URL, {"item": db_server_a.pk, "name": "甲新指标"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "You may not manage the indicators of this unit."
    assert Indicator.objects.count() == 1


def test_the_figures_of_a_month_show_what_availability_left_out(
    api_client_for, unit_user_a, group_admin, db_server_a, check_a
):
    indicator = services.create(
        Indicator, actor=group_admin, item=db_server_a, name="甲数据库指标", availability_target="99"
    )
    CheckRollup.objects.create(
        active_check=check_a,
        period="day",
        start=indicators.day_start(datetime.date(2026, 3, 5)),
        up_seconds=18 * 3600,
        down_seconds=2 * 3600,
        unknown_seconds=3 * 3600,
        maintenance_seconds=3600,
    )
    http = api_client_for(unit_user_a)
    answer = http.get(f"{URL}{indicator.pk}/figures/", {"month": "2026-03"})
    assert answer.status_code == 200
    body = answer.json()
    assert len(body["days"]) == 31
    fifth = body["days"][4]
    assert fifth["first"] == "2026-03-05" and fifth["availability"] == pytest.approx(90.0)
    assert (fifth["unknown_seconds"], fifth["maintenance_seconds"]) == (3 * 3600, 3600)
    [availability] = [row for row in body["targets"] if row["figure"] == "availability"]
    assert availability == {
        "figure": "availability",
        "target": 99.0,
        "actual": pytest.approx(90.0),
        "missed": True,
    }
    for month in ("2026-13", "0001-01", "9999-12", "2026-3", "二〇二六-03"):
        bad = http.get(f"{URL}{indicator.pk}/figures/", {"month": month})
        assert bad.status_code == 400, month
        assert bad.json() == {
            "detail": "Give the month as YYYY-MM.",
            "field": "month",
            "errors": {"month": ["Give the month as YYYY-MM."]},
        }


def test_breaches_are_listed_read_only(api_client_for, unit_admin_a, group_admin, db_server_a, check_a):
    indicator = services.create(
        Indicator, actor=group_admin, item=db_server_a, name="甲数据库指标", availability_target="99"
    )
    day = datetime.date(2026, 3, 5)
    CheckRollup.objects.create(
        active_check=check_a,
        period="day",
        start=indicators.day_start(day),
        up_seconds=3600,
        down_seconds=3600,
    )
    [breach] = indicators.evaluate_day(day)
    http = api_client_for(unit_admin_a)
    listed = http.get(BREACHES, {"indicator": indicator.pk}).json()["results"]
    assert [(row["id"], row["figure"], row["day"], row["actual"]) for row in listed] == [
        (breach.pk, "availability", "2026-03-05", 50.0)
    ]
    assert http.delete(f"{BREACHES}{breach.pk}/").status_code == 405
    assert http.post(BREACHES, {}, format="json").status_code == 405
