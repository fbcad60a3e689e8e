"""The alert pages, in zh-Hans and English: integrations (create shows the token once, the URL to paste,
the latest payloads and how each was mapped, silent or not), alerts, and the unmatched queue with
"map to item" mapping the siblings."""

import re

import pytest
from django.db import connection
from django.utils import translation

from yunwei.alerts.models import Alert, Integration
from yunwei.core import scoping

from ..conftest import make_item
from .conftest import am_alert, am_payload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_alert_page_answers_in_both_languages(am_a, servers_a, unit_admin_a, client, post, language):
    post(am_a, am_payload(am_alert(instance="legacy:1")))
    alert = Alert.objects.get()
    client.force_login(unit_admin_a)
    client.cookies["django_language"] = language
    for url in (
        "/alerts/",
        "/alerts/unmatched/",
        f"/alerts/{alert.pk}/",
        "/alerts/integrations/",
        "/alerts/integrations/new/",
        f"/alerts/integrations/{am_a.pk}/",
        f"/alerts/integrations/{am_a.pk}/edit/",
        f"/alerts/integrations/{am_a.pk}/rules/new/",
    ):
        answer = client.get(url, headers={"Accept-Language": language})
        assert answer.status_code == 200, url
        text = answer.content.decode()
        assert ("告警" in text) == (language == "zh-hans"), url


def test_creating_an_integration_shows_its_token_once(unit_a, unit_admin_a, client):
    client.force_login(unit_admin_a)
    answer = client.post(
        "/alerts/integrations/new/",
        {
            "unit": unit_a.pk,
            "kind": "zabbix",
            "name": "甲单位Zabbix",
            "signature_window": 300,
            "replica_labels": "prometheus_replica",
            "repeat_interval": 86400,
            "stale_factor": 2,
            "watchdog_alert": "Watchdog",
            "quiet_after": 900,
            "payload_retention_days": 30,
        },
        follow=True,
    )
    assert answer.status_code == 200
    integration = Integration.objects.get()
    text = answer.content.decode()
    match = re.search(r"/intake/zabbix/(yw_[\w-]+)/", text)
    assert match, "the address with its token is shown"
    assert match.group(1).endswith(integration.token_hint)
    again = client.get(f"/alerts/integrations/{integration.pk}/").content.decode()
    assert match.group(1) not in again
    assert "/intake/zabbix/&lt;token&gt;/" in again


def test_the_integration_page_shows_the_latest_payloads_and_how_each_alert_was_mapped(
    am_a, servers_a, unit_admin_a, client, post
):
    post(am_a, am_payload(am_alert(name="已匹配"), am_alert(name="未匹配", instance="legacy:1")))
    client.force_login(unit_admin_a)
    table = client.get(f"/alerts/integrations/{am_a.pk}/").content.decode()
    assert "已匹配" in table and "未匹配" in table
    assert "instance=legacy:1" in table
    assert "无对应配置项" in table  # "No item", in Chinese


def test_mapping_an_unmatched_alert_on_its_page_maps_its_siblings(
    am_a, servers_a, unit_admin_a, client, post
):
    post(am_a, am_payload(am_alert(name="甲", instance="legacy:1")))
    post(am_a, am_payload(am_alert(name="乙", instance="legacy:1")))
    client.force_login(unit_admin_a)
    queue = client.get("/alerts/unmatched/").content.decode()
    assert "甲" in queue and "乙" in queue
    first = Alert.objects.get(name="甲")
    page = client.get(f"/alerts/{first.pk}/").content.decode()
    assert 'data-testid="map-form"' in page
    answer = client.post(f"/alerts/{first.pk}/map/", {"item": servers_a["db"].code}, follow=True)
    assert answer.status_code == 200
    assert set(Alert.objects.values_list("item", flat=True)) == {servers_a["db"].pk}
    assert "甲" not in client.get("/alerts/unmatched/").content.decode().split("<table")[1]


def test_the_map_form_takes_an_item_code_suggesting_items_like_the_alerts_host(
    am_a, servers_a, unit_admin_a, client, post, unit_b, group_admin
):
    # An inventory may be too long for a list: the items whose code, hostname or name hold the key's host
    # are suggested, and any item of the unit is taken by its code.
    post(am_a, am_payload(am_alert(instance="oa-db:9100")))
    alert = Alert.objects.get()
    elsewhere = make_item(unit_b, "server", "B-DB-01", actor=group_admin, hostname="oa-db-b")
    client.force_login(unit_admin_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    suggested = page.split('<datalist id="map-items">', 1)[1].split("</datalist>", 1)[0]
    assert servers_a["db"].code in suggested
    assert servers_a["app"].code not in suggested and elsewhere.code not in suggested

    for code in (elsewhere.code, "NO-SUCH-ITEM", ""):
        answer = client.post(f"/alerts/{alert.pk}/map/", {"item": code}, follow=True)
        assert (
            "unit has no item of this code" if code else "This field is required"
        ) in answer.content.decode()
    assert Alert.objects.get().match == "unmatched"
    client.post(f"/alerts/{alert.pk}/map/", {"item": f" {servers_a['app'].code} "})
    assert (Alert.objects.get().match, Alert.objects.get().item) == ("manual", servers_a["app"])


def test_a_plain_user_sees_no_map_form_and_may_not_map(am_a, servers_a, unit_user_a, client, post):
    post(am_a, am_payload(am_alert(instance="legacy:1")))
    alert = Alert.objects.get()
    client.force_login(unit_user_a)
    assert 'data-testid="map-form"' not in client.get(f"/alerts/{alert.pk}/").content.decode()
    assert client.post(f"/alerts/{alert.pk}/map/", {"item": servers_a["db"].code}).status_code == 403
    assert Alert.objects.get().match == "unmatched"


def test_a_rule_refused_on_its_page_shows_the_sample(am_a, unit_admin_a, client):
    client.force_login(unit_admin_a)
    answer = client.post(
        f"/alerts/integrations/{am_a.pk}/rules/new/",
        {"position": 2, "label": "pod", "field": "hostname", "sample": ""},
    )
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "oa-app-01:9100" in text
    assert am_a.rules.count() == 1


def test_the_edit_page_never_shows_the_secret_and_an_empty_field_keeps_it(
    unit_a, group_admin, unit_admin_a, client
):
    from .conftest import make_integration

    secret = "a-secret-nobody-should-read-back"
    integration = make_integration(unit_a, group_admin, hmac_secret=secret)
    client.force_login(unit_admin_a)
    form = client.get(f"/alerts/integrations/{integration.pk}/edit/").content.decode()
    assert secret not in form
    answer = client.post(
        f"/alerts/integrations/{integration.pk}/edit/",
        {
            "version": integration.version,
            "name": "改名",
            "hmac_secret": "",
            "signature_window": 300,
            "replica_labels": "prometheus_replica",
            "repeat_interval": 86400,
            "stale_factor": 2,
            "watchdog_alert": "Watchdog",
            "quiet_after": 900,
            "payload_retention_days": 30,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    integration.refresh_from_db()
    assert (integration.name, integration.hmac_secret) == ("改名", secret)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_the_alert_list_of_a_group_admin_reads_its_order_from_an_index(group_admin):
    """At a million alerts, sorting them all took about 300 ms (bench/pages.py); the index is read in
    order."""
    alerts = scoping.visible(Alert.objects.all(), group_admin).order_by("-last_seen_at", "-id")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        assert "alerts_alert_recent" in alerts[:25].explain()
