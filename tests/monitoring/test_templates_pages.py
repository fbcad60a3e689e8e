"""The check template pages, in English and in Chinese: the list linked from the checks, the form naming a
bad placeholder on its field, the detail listing the items still without a check and why, "apply to all
items of the type" telling what was created and what was skipped, an edit reaching the checks, and a
plain user who reads but does not manage."""

import json

import pytest

from yunwei.cmdb.models import ItemType
from yunwei.monitoring import services
from yunwei.monitoring.models import Check, CheckTemplate

from ..conftest import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def servers_a(unit_a, group_admin):
    return [
        make_item(unit_a, "server", "A-WEB1", actor=group_admin, ip="10.0.0.11"),
        make_item(unit_a, "server", "A-WEB2", actor=group_admin, hostname="web2.a.example"),
        make_item(unit_a, "server", "A-BARE", actor=group_admin),
    ]


@pytest.fixture
def template_a(unit_a, unit_admin_a) -> CheckTemplate:
    return services.create_template(
        actor=unit_admin_a,
        unit=unit_a,
        item_type=ItemType.objects.get(code="server"),
        name="Ping",
        kind="icmp",
        spec={"host": "{host}"},
    )


def _form(unit, **fields) -> dict:
    return {
        "unit": unit.pk,
        "item_type": ItemType.objects.get(code="server").pk,
        "name": "SSH",
        "kind": "tcp",
        "spec": json.dumps({"host": "{host}", "port": 22}),
        "interval": 60,
        "retry_interval": 20,
        "fail_after": 3,
        "recover_after": 2,
        "enabled": "on",
        **fields,
    }


def test_the_checks_list_links_to_the_templates_which_list_the_unit_s(
    client, unit_admin_a, template_a, unit_user_a
):
    client.force_login(unit_admin_a)
    checks = client.get("/monitoring/checks/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/monitoring/check-templates/"' in checks
    listing = client.get("/monitoring/check-templates/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/monitoring/check-templates/{template_a.pk}/">Ping</a>' in listing
    assert "New check template" in listing
    client.force_login(unit_user_a)
    listing = client.get("/monitoring/check-templates/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ping" in listing and "New check template" not in listing


def test_the_form_names_an_unknown_placeholder_on_its_field_and_creates_a_good_template(
    client, unit_a, unit_admin_a
):
    client.force_login(unit_admin_a)
    refused = client.post(
        "/monitoring/check-templates/new/",
        _form(unit_a, spec=json.dumps({"host": "{address}", "port": 22})),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 200
    assert refused.context["form"].errors["spec"][0].startswith("Unknown placeholder {address}")
    assert not CheckTemplate.objects.exists()
    created = client.post("/monitoring/check-templates/new/", _form(unit_a), HTTP_ACCEPT_LANGUAGE="en")
    template = CheckTemplate.objects.get()
    assert created.url == f"/monitoring/check-templates/{template.pk}/"
    assert (template.unit, template.spec, template.enabled) == (unit_a, {"host": "{host}", "port": 22}, True)


def test_a_unit_admin_cannot_make_a_group_template_on_the_page(client, group, unit_a, unit_admin_a):
    client.force_login(unit_admin_a)
    response = client.post("/monitoring/check-templates/new/", _form(group), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors  # the group is not among the form's choices
    assert not CheckTemplate.objects.exists()


def test_applying_on_the_page_tells_what_was_created_and_what_was_skipped_and_why(
    client, unit_admin_a, template_a, servers_a
):
    client.force_login(unit_admin_a)
    url = f"/monitoring/check-templates/{template_a.pk}/"
    before = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "3 items of this type have no check from this template" in before
    assert f'data-testid="missing-row-{servers_a[2].pk}"' in before
    assert "skipped: {host} is empty for this item" in before
    assert 'data-testid="checktemplate-apply"' in before
    applied = client.post(f"{url}apply/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    html = applied.content.decode()
    assert "Applied “Ping”: 2 checks created, 0 brought up to date, 1 item skipped." in html
    assert "Skipped: A-BARE: {host} is empty for this item" in html
    assert "1 item of this type has no check from this template" in html
    for check in Check.objects.filter(template=template_a):
        assert f'href="/monitoring/checks/{check.pk}/">Ping · {check.item.code}</a>' in html
    assert Check.objects.filter(template=template_a).count() == 2


def test_an_edit_on_the_page_reaches_every_check(client, unit_a, unit_admin_a, template_a, servers_a):
    services.apply_template(template_a, actor=unit_admin_a)
    client.force_login(unit_admin_a)
    form = client.get(f"/monitoring/check-templates/{template_a.pk}/edit/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Placeholders in the probe settings" in form.content.decode()
    edited = client.post(
        f"/monitoring/check-templates/{template_a.pk}/edit/",
        _form(unit_a, name="Ping", kind="icmp", spec=json.dumps({"host": "{host}"}), interval=300, version=1),
    )
    assert edited.status_code == 302
    assert set(Check.objects.filter(template=template_a).values_list("interval", "version")) == {(300, 2)}


def test_deleting_on_the_page_keeps_the_checks(client, unit_admin_a, template_a, servers_a):
    services.apply_template(template_a, actor=unit_admin_a)
    client.force_login(unit_admin_a)
    response = client.post(f"/monitoring/check-templates/{template_a.pk}/delete/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.url == "/monitoring/check-templates/"
    assert not CheckTemplate.objects.exists()
    assert Check.objects.filter(template=None).count() == 2


def test_a_plain_user_reads_the_template_but_may_not_apply_edit_or_delete_it(
    client, unit_user_a, template_a, servers_a
):
    client.force_login(unit_user_a)
    url = f"/monitoring/check-templates/{template_a.pk}/"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ping" in html and "checktemplate-apply" not in html and "checktemplate-edit" not in html
    assert client.post(f"{url}apply/").status_code == 403
    assert client.get(f"{url}edit/").status_code == 403
    assert client.post(f"{url}delete/").status_code == 403
    assert not Check.objects.exists() and CheckTemplate.objects.filter(pk=template_a.pk).exists()


def test_a_disabled_template_offers_no_apply_and_refusing_it_says_why(
    client, unit_admin_a, template_a, servers_a
):
    services.update_template(template_a, actor=unit_admin_a, expected_version=1, enabled=False)
    client.force_login(unit_admin_a)
    url = f"/monitoring/check-templates/{template_a.pk}/"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="checktemplate-disabled"' in html and "checktemplate-apply" not in html
    refused = client.post(f"{url}apply/", HTTP_ACCEPT_LANGUAGE="en", follow=True).content.decode()
    assert "The template is disabled: enable it before applying it." in refused
    assert not Check.objects.exists()


def test_the_pages_speak_chinese_to_a_chinese_reader(client, unit_admin_a, template_a, servers_a):
    client.force_login(unit_admin_a)
    listing = client.get("/monitoring/check-templates/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "检查模板" in listing and "新建检查模板" in listing and "所属单位" in listing
    url = f"/monitoring/check-templates/{template_a.pk}/"
    detail = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "应用到该类型的全部配置项" in detail
    assert "该类型有 3 个配置项尚无本模板生成的检查" in detail
    assert "将跳过： 该配置项的 {host} 为空" in detail
    applied = client.post(f"{url}apply/", HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True).content.decode()
    assert "已应用“Ping”：新建 2 项检查，更新 0 项，跳过 1 个配置项。" in applied
    assert "已跳过：A-BARE: 该配置项的 {host} 为空" in applied
    form = client.get(f"{url}edit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "探测设置中的占位符" in form and "配置项的 IP 地址，没有则用主机名" in form
