"""The check pages: the list with state badges and its filter, a check with its latest results and "test
now" (against a real local server), and the form (a bad spec shown on its field; an edit keeps the
version it read)."""

import json
import re

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
    assert 'data-testid="test-result"' not in html
    response = client.post(f"/monitoring/checks/{check.pk}/run/", HTTP_ACCEPT_LANGUAGE="en")
    [result] = CheckResult.objects.filter(active_check=check)
    assert response.status_code == 302
    assert response.url == f"/monitoring/checks/{check.pk}/?tested={result.pk}"
    html = page(unit_admin_a, f"/monitoring/checks/{check.pk}/", tested=result.pk)
    assert 'data-testid="check-state">Up' in html
    assert f'data-testid="result-row-{result.pk}"' in html
    # The run's own result on top: status, latency, method and reason.
    assert 'data-testid="test-status">Up' in html
    assert f'data-testid="test-latency">{result.latency_ms:.1f} ms' in html
    assert 'data-testid="test-method">http<' in html
    assert f'data-testid="test-reason">{escape(result.reason)}<' in html


def test_a_unit_user_may_not_test_a_check_now(client, unit_user_a, group_admin, db_server_a):
    check = _make(group_admin, db_server_a, "甲库端口")
    client.force_login(unit_user_a)
    assert client.post(f"/monitoring/checks/{check.pk}/run/").status_code == 403
    assert not CheckResult.objects.exists()


FORM = {"name": "甲库端口", "interval": 60, "retry_interval": 20, "fail_after": 3, "recover_after": 2}


def _post(client, url, **fields):
    return client.post(url, {**FORM, **fields}, HTTP_ACCEPT_LANGUAGE="en")


def test_the_form_names_a_missing_or_bad_field_of_the_kind_and_creates_a_good_check(
    client, unit_admin_a, db_server_a
):
    client.force_login(unit_admin_a)
    url = "/monitoring/checks/new/"
    base = {"item": db_server_a.pk, "kind": "tcp", "tcp_host": "127.0.0.1"}
    missing = _post(client, url, **base)
    assert missing.status_code == 200
    assert missing.context["form"].errors == {"tcp_port": ["This field is required."]}
    bad = _post(client, url, **base, tcp_port=70000)
    assert bad.context["form"].errors == {
        "tcp_port": ["Invalid probe settings: 'port' is out of range: 70000"]
    }
    assert "is-invalid" in bad.context["form"].fields["tcp_port"].widget.attrs["class"]
    no_url = _post(client, url, item=db_server_a.pk, kind="http", http_keyword="OK")
    assert no_url.context["form"].errors == {"http_url": ["This field is required."]}
    not_http = _post(client, url, item=db_server_a.pk, kind="http", http_url="ftp://oa.example.cn/")
    assert list(not_http.context["form"].errors) == ["http_url"]
    assert not Check.objects.exists()
    # Another kind's fields are not read: only the chosen kind's make the spec.
    created = _post(client, url, **base, tcp_port=5432, http_url="https://oa.example.cn/", dns_name="x")
    check = Check.objects.get(name="甲库端口")
    assert created.url == f"/monitoring/checks/{check.pk}/"
    assert (check.unit_id, check.spec) == (db_server_a.unit_id, {"host": "127.0.0.1", "port": 5432})
    edit = client.get(f"/monitoring/checks/{check.pk}/edit/", HTTP_ACCEPT_LANGUAGE="en")
    assert edit.context["form"]["tcp_port"].value() == "5432"
    edited = _post(
        client, f"/monitoring/checks/{check.pk}/edit/", **base, tcp_port=5433, interval=300, version=1
    )
    assert edited.status_code == 302
    check.refresh_from_db()
    assert (check.interval, check.version, check.spec["port"]) == (300, 2, 5433)


@pytest.mark.parametrize(
    ("kind", "fields", "spec"),
    [
        (
            "http",
            {
                "http_url": "https://oa.example.cn/health",
                "http_expected_status": "200, 301",
                "http_keyword": "OK",
                "http_json_path": "$.status",
                "http_json_op": "eq",
                "http_json_value": "ok",
                "http_max_latency_ms": "800",
                "http_cert_min_days": "14",
            },
            {
                "url": "https://oa.example.cn/health",
                "expected_status": [200, 301],
                "keyword": "OK",
                "json_path": "$.status",
                "json_op": "eq",
                "json_value": "ok",
                "max_latency_ms": 800,
                "cert_min_days": 14,
                "verify_tls": False,
            },
        ),
        (
            "icmp",
            {"icmp_host": "10.0.0.1", "icmp_fallback_port": "22"},
            {"host": "10.0.0.1", "fallback_port": 22},
        ),
        (
            "dns",
            {
                "dns_name": "oa.example.cn",
                "dns_record_type": "A",
                "dns_expected": "10.0.0.5, 10.0.0.6",
                "dns_server": "10.0.0.53",
            },
            {
                "name": "oa.example.cn",
                "record_type": "A",
                "expected": ["10.0.0.5", "10.0.0.6"],
                "server": "10.0.0.53",
            },
        ),
        (
            "postgresql",
            {
                "postgresql_host": "db",
                "postgresql_user": "monitor",
                "postgresql_password": "s3cret",
                "postgresql_database": "oa",
            },
            {"host": "db", "user": "monitor", "password": "s3cret", "database": "oa"},
        ),
        (
            "mysql",
            {"mysql_host": "db", "mysql_port": "3307", "mysql_user": "monitor"},
            {"host": "db", "port": 3307, "user": "monitor"},
        ),
        (
            "snmp",
            {
                "snmp_host": "10.0.0.2",
                "snmp_version": "3",
                "snmp_user": "ops",
                "snmp_auth_protocol": "SHA",
                "snmp_auth_key": "authkey123",
                "snmp_oid": "1.3.6.1.2.1.1.3.0",
                "snmp_op": "gt",
                "snmp_value": "0",
            },
            {
                "host": "10.0.0.2",
                "version": "3",
                "user": "ops",
                "auth_protocol": "SHA",
                "auth_key": "authkey123",
                "oid": "1.3.6.1.2.1.1.3.0",
                "op": "gt",
                "value": "0",
            },
        ),
    ],
)
def test_the_form_builds_the_spec_of_each_kind_from_its_fields(
    client, unit_admin_a, db_server_a, kind, fields, spec
):
    client.force_login(unit_admin_a)
    response = _post(client, "/monitoring/checks/new/", item=db_server_a.pk, kind=kind, **fields)
    assert response.status_code == 302, response.context["form"].errors
    assert Check.objects.get().spec == spec


def test_a_password_is_write_only_an_empty_box_keeps_it_and_no_page_shows_it(
    client, unit_admin_a, db_server_a
):
    check = _make(
        unit_admin_a,
        db_server_a,
        "甲库登录",
        kind="postgresql",
        spec={"host": "db", "user": "monitor", "password": "s3cret-pw", "timeout": 5},
    )
    client.force_login(unit_admin_a)
    for url in (f"/monitoring/checks/{check.pk}/", f"/monitoring/checks/{check.pk}/edit/"):
        assert "s3cret-pw" not in client.get(url).content.decode()
    edit = client.get(f"/monitoring/checks/{check.pk}/edit/", HTTP_ACCEPT_LANGUAGE="en")
    assert edit.context["form"].initial["spec"] == {"timeout": 5}  # the keys no field of the kind shows
    fields = {
        "item": db_server_a.pk,
        "kind": "postgresql",
        "postgresql_host": "db2",
        "postgresql_user": "monitor",
    }
    kept = _post(client, f"/monitoring/checks/{check.pk}/edit/", **fields, spec='{"timeout": 5}', version=1)
    assert kept.status_code == 302, kept.context["form"].errors
    check.refresh_from_db()
    assert check.spec == {"host": "db2", "user": "monitor", "password": "s3cret-pw", "timeout": 5}
    _post(client, f"/monitoring/checks/{check.pk}/edit/", **fields, postgresql_password="new-pw", version=2)
    check.refresh_from_db()
    assert check.spec["password"] == "new-pw"


def test_the_pages_speak_chinese_to_a_chinese_reader(client, unit_admin_a, group_admin, db_server_a):
    check = _make(group_admin, db_server_a, "甲库端口", fail_after=1)
    services.run_check(check.pk)
    client.force_login(unit_admin_a)
    listing = client.get("/monitoring/checks/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "新建检查" in listing and 'data-testid="state">故障' in listing
    detail = client.get(f"/monitoring/checks/{check.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "立即检测" in detail and "最近结果" in detail and "连续失败 1 次判定故障" in detail


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ["可用率与延迟", "24 小时", "90 天", "可用率", "无数据", "部分故障", "延迟（毫秒）"]),
        ("en", ["Availability and latency", "24 hours", "90 days", "Availability", "No data", "Partly down"]),
    ],
)
def test_the_check_page_carries_its_chart_in_the_readers_language(
    client, unit_user_a, group_admin, db_server_a, language, words
):
    check = _make(group_admin, db_server_a, "甲库端口")
    client.force_login(unit_user_a)
    html = client.get(f"/monitoring/checks/{check.pk}/", {"range": "30d"}, HTTP_ACCEPT_LANGUAGE=language)
    html = html.content.decode()
    assert f'data-url="/api/monitoring/checks/{check.pk}/series/"' in html
    assert 'data-range="30d"' in html and 'id="check-chart-labels"' in html
    assert "monitoring/check_chart.js" in html and "vendor/echarts/echarts.min.js" in html
    labels = json.loads(re.search(r'id="check-chart-labels"[^>]*>(.*?)</script>', html).group(1))
    shown = html + json.dumps(labels, ensure_ascii=False)  # the chart's own labels come in JSON
    for word in words:
        assert word in shown, word


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "zh-hans",
            [
                "探测设置：HTTP(S)",
                "期望状态码",
                "JSON 路径",
                "团体名（v2c）",
                "用户名",
                "只写：留空则保留已保存的值。",
            ],
        ),
        ("en", ["Probe settings: HTTP(S)", "Expected status", "JSON path", "Community (v2c)", "Write-only"]),
    ],
)
def test_the_check_form_shows_each_kinds_fields_in_the_readers_language(
    client, unit_admin_a, db_server_a, language, words
):
    client.force_login(unit_admin_a)
    html = client.get("/monitoring/checks/new/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for kind in ("http", "tcp", "icmp", "dns", "postgresql", "mysql", "snmp"):
        assert f'data-kind-fields="{kind}"' in html
    assert "monitoring/check_form.js" in html
    for word in words:
        assert word in html, word
