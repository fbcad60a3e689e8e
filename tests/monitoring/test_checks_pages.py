"""The check pages: the list with state badges and its filter, a check with its latest results and "test
now" (against a real local server), and the form (a bad spec shown on its field; an edit keeps the
version it read)."""

import json

import pytest
from django.utils.html import escape

from yunwei.monitoring import services
from yunwei.monitoring.models import Check, CheckResult

from .targets import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client):
    def get(user, url, **params):
        client.force_login(user)
        response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        return response.content.decode()

    return get


def _make(actor, item, name, spec=None, kind="tcp", **fields) -> Check:
    spec = spec or {"host": "127.0.0.1", "port": free_port(), "timeout": 0.5}
    return services.create(Check, actor=actor, item=item, name=name, kind=kind, spec=spec, **fields)


def test_the_list_shows_each_check_with_its_state_badge_and_filters_by_state(
    page, group_admin, unit_user_a, db_server_a
):
    closed = _make(group_admin, db_server_a, "甲关闭端口", fail_after=1)
    _make(group_admin, db_server_a, "甲新检查")
    services.run_check(closed.pk)
    html = page(unit_user_a, "/monitoring/checks/")
    assert "甲关闭端口" in html and "甲新检查" in html
    assert 'badge text-bg-danger" data-testid="state">Down' in html
    assert 'badge text-bg-secondary" data-testid="state">New' in html
    assert "New check" not in html  # a plain user sees, does not manage
    filtered = page(unit_user_a, "/monitoring/checks/", state="down")
    assert "甲关闭端口" in filtered and "甲新检查" not in filtered


def test_test_now_runs_the_check_and_the_detail_shows_its_result(
    client, page, unit_admin_a, db_server_a, httpserver
):
    httpserver.expect_request("/health").respond_with_data("ok")
    check = _make(
        unit_admin_a, db_server_a, "甲门户", spec={"url": httpserver.url_for("/health")}, kind="http"
    )
    html = page(unit_admin_a, f"/monitoring/checks/{check.pk}/")
    assert 'data-testid="check-run"' in html and "No results yet." in html
    response = client.post(f"/monitoring/checks/{check.pk}/run/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert response.url == f"/monitoring/checks/{check.pk}/"
    html = page(unit_admin_a, f"/monitoring/checks/{check.pk}/")
    assert 'data-testid="check-state">Up' in html
    [result] = CheckResult.objects.filter(active_check=check)
    assert f'data-testid="result-row-{result.pk}"' in html
    assert escape(result.reason) in html


def test_a_unit_user_may_not_test_a_check_now(client, unit_user_a, group_admin, db_server_a):
    check = _make(group_admin, db_server_a, "甲库端口")
    client.force_login(unit_user_a)
    assert client.post(f"/monitoring/checks/{check.pk}/run/").status_code == 403
    assert not CheckResult.objects.exists()


def test_the_form_shows_a_bad_spec_on_its_field_and_creates_a_good_one(client, unit_admin_a, db_server_a):
    client.force_login(unit_admin_a)
    fields = {
        "item": db_server_a.pk,
        "name": "甲库端口",
        "kind": "tcp",
        "spec": json.dumps({"host": "127.0.0.1"}),
        "interval": 60,
        "retry_interval": 20,
        "fail_after": 3,
        "recover_after": 2,
    }
    refused = client.post("/monitoring/checks/new/", fields, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    assert refused.context["form"].errors["spec"] == ["Invalid probe settings: the spec has no 'port'"]
    assert not Check.objects.exists()
    created = client.post(
        "/monitoring/checks/new/", {**fields, "spec": json.dumps({"host": "127.0.0.1", "port": 5432})}
    )
    check = Check.objects.get(name="甲库端口")
    assert created.url == f"/monitoring/checks/{check.pk}/"
    assert (check.unit_id, check.spec) == (db_server_a.unit_id, {"host": "127.0.0.1", "port": 5432})
    edited = client.post(
        f"/monitoring/checks/{check.pk}/edit/",
        {**fields, "spec": json.dumps(check.spec), "interval": 300, "version": 1},
    )
    assert edited.status_code == 302
    check.refresh_from_db()
    assert (check.interval, check.version) == (300, 2)


def test_the_pages_speak_chinese_to_a_chinese_reader(client, unit_admin_a, group_admin, db_server_a):
    check = _make(group_admin, db_server_a, "甲库端口", fail_after=1)
    services.run_check(check.pk)
    client.force_login(unit_admin_a)
    listing = client.get("/monitoring/checks/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "新建检查" in listing and 'data-testid="state">故障' in listing
    detail = client.get(f"/monitoring/checks/{check.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "立即检测" in detail and "最近结果" in detail and "连续失败 1 次判定故障" in detail
