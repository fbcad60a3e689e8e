"""The checks API: CRUD through the services (audited, version on update), a bad spec a 400 naming the
field, "run" testing a check now against a real local server, its results listed, and another unit's
check a 404 that no list shows."""

import pytest

from yunwei.audit.models import AuditEvent
from yunwei.monitoring import services
from yunwei.monitoring.models import Check, CheckResult

from .targets import free_port

pytestmark = pytest.mark.django_db

URL = "/api/monitoring/checks/"


@pytest.fixture
def api_client_for(api_client_for):
    """Answers in English, the source language the messages are asserted in."""

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
        spec={"host": "127.0.0.1", "port": free_port(), "timeout": 0.5},
    )


def test_a_unit_admin_creates_reads_updates_and_deletes_a_check(
    unit_a, unit_admin_a, db_server_a, api_client_for
):
    http = api_client_for(unit_admin_a)
    spec = {"host": "127.0.0.1", "port": 5432}
    created = http.post(
        URL, {"item": db_server_a.pk, "name": "库端口", "kind": "tcp", "spec": spec}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["unit"], body["state"], body["version"], body["spec"]) == (unit_a.pk, "new", 1, spec)
    assert AuditEvent.objects.filter(action="create", object_id=str(body["id"])).exists()
    updated = http.patch(f"{URL}{body['id']}/", {"interval": 300, "version": 1}, format="json")
    assert updated.status_code == 200, updated.json()
    assert Check.objects.get(pk=body["id"]).interval == 300
    stale = http.patch(f"{URL}{body['id']}/", {"interval": 120, "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["field"] == "version"
    assert Check.objects.get(pk=body["id"]).interval == 300
    assert http.delete(f"{URL}{body['id']}/").status_code == 204
    assert not Check.objects.filter(pk=body["id"]).exists()


@pytest.mark.parametrize(
    ("kind", "spec", "named"),
    [("http", {"url": ""}, "'url'"), ("tcp", {"host": "127.0.0.1", "port": "ssh"}, "'port'")],
)
def test_a_bad_spec_is_a_400_naming_the_field(unit_admin_a, db_server_a, api_client_for, kind, spec, named):
    http = api_client_for(unit_admin_a)
    response = http.post(
        URL, {"item": db_server_a.pk, "name": "坏", "kind": kind, "spec": spec}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "spec"
    assert named in response.json()["detail"]
    assert not Check.objects.exists()


def test_a_bad_interval_on_update_is_a_400_and_changes_nothing(unit_admin_a, check_a, api_client_for):
    http = api_client_for(unit_admin_a)
    response = http.patch(f"{URL}{check_a.pk}/", {"retry_interval": 600, "version": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "retry_interval"
    assert Check.objects.get(pk=check_a.pk).retry_interval == 20


def test_a_unit_user_reads_checks_but_may_not_create_or_run_one(
    unit_user_a, db_server_a, check_a, api_client_for
):
    http = api_client_for(unit_user_a)
    assert [row["id"] for row in http.get(URL).json()["results"]] == [check_a.pk]
    spec = {"host": "127.0.0.1", "port": 22}
    refused = http.post(
        URL, {"item": db_server_a.pk, "name": "越权", "kind": "tcp", "spec": spec}, format="json"
    )
    assert refused.status_code == 403
    assert "may not manage the checks" in refused.json()["detail"]
    assert http.post(f"{URL}{check_a.pk}/run/").status_code == 403
    assert not CheckResult.objects.exists()


def test_run_tests_a_check_now_and_results_lists_it(unit_admin_a, db_server_a, api_client_for, httpserver):
    httpserver.expect_request("/health").respond_with_data("ok")
    check = services.create(
        Check,
        actor=unit_admin_a,
        item=db_server_a,
        name="甲门户",
        kind="http",
        spec={"url": httpserver.url_for("/health")},
    )
    http = api_client_for(unit_admin_a)
    audited = AuditEvent.objects.count()
    ran = http.post(f"{URL}{check.pk}/run/")
    assert ran.status_code == 200
    assert (ran.json()["status"], ran.json()["method"], ran.json()["check"]) == ("up", "http", check.pk)
    assert http.get(f"{URL}{check.pk}/").json()["state"] == "up"
    results = http.get(f"{URL}{check.pk}/results/").json()
    assert [row["status"] for row in results["results"]] == ["up"]
    assert AuditEvent.objects.count() == audited  # a result is machine data


def test_another_units_check_is_404_and_in_no_list(unit_admin_b, check_a, api_client_for):
    http = api_client_for(unit_admin_b)
    assert http.get(f"{URL}{check_a.pk}/").status_code == 404
    assert http.get(f"{URL}{check_a.pk}/results/").status_code == 404
    assert http.post(f"{URL}{check_a.pk}/run/").status_code == 404
    assert http.get(URL).json()["results"] == []
    by_unit = http.get(URL, {"unit": check_a.unit_id})
    assert by_unit.status_code == 400 or by_unit.json()["results"] == []
    assert not CheckResult.objects.exists()


def test_an_item_of_another_unit_is_refused_naming_the_item(unit_admin_b, db_server_a, api_client_for):
    http = api_client_for(unit_admin_b)
    spec = {"host": "127.0.0.1", "port": 22}
    response = http.post(
        URL, {"item": db_server_a.pk, "name": "越权", "kind": "tcp", "spec": spec}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "item"
    assert not Check.objects.exists()
