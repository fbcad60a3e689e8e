"""The alert intake API: integrations (the token answered once, on create and rotate; the secret never read
back), mapping rules (a rule empty in the sample refused naming `label`), alerts and the unmatched queue
with its `map` action (siblings mapped together)."""

import pytest

from yunwei.alerts.models import Alert, Integration
from yunwei.audit.models import AuditEvent

from .conftest import am_alert, am_payload

pytestmark = pytest.mark.django_db
URL = "/api/alerts/integrations/"


@pytest.fixture
def api_client_for(api_client_for):
    def build(user):
        http = api_client_for(user)
        http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return http

    return build


def test_a_unit_admin_creates_an_integration_and_sees_its_token_once(
    unit_a, unit_admin_a, api_client_for, client
):
    http = api_client_for(unit_admin_a)
    created = http.post(
        URL,
        {"unit": unit_a.pk, "kind": "alertmanager", "name": "生产普罗米修斯", "hmac_secret": "s" * 20},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    token = body["token"]
    assert body["url_with_token"].endswith(f"/intake/alertmanager/{token}/")
    assert body["url"].endswith("/intake/alertmanager/<token>/")
    assert (body["has_secret"], body["replica_labels"], body["repeat_interval"]) == (
        True,
        ["prometheus_replica"],
        86400,
    )
    assert "hmac_secret" not in body
    read = http.get(f"{URL}{body['id']}/").json()
    assert "token" not in read and "hmac_secret" not in read and token not in str(read)
    integration = Integration.objects.get(pk=body["id"])
    assert integration.token_hash != token and integration.token_hint == token[-4:]
    event = AuditEvent.objects.get(action="create", object_id=str(integration.pk))
    assert "s" * 20 not in str(event.after) and "token_hash" not in event.after
    rotated = http.post(f"{URL}{integration.pk}/rotate/", {}, format="json")
    assert rotated.status_code == 200
    assert rotated.json()["token"] != token


def test_a_plain_user_may_not_create_an_integration(unit_a, unit_user_a, api_client_for):
    answer = api_client_for(unit_user_a).post(
        URL, {"unit": unit_a.pk, "kind": "zabbix", "name": "x"}, format="json"
    )
    assert answer.status_code == 403
    assert not Integration.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "nagios"}, "kind"),
        ({"signature_required": True}, "hmac_secret"),
        ({"hmac_secret": "short"}, "hmac_secret"),
        ({"repeat_interval": 5}, "repeat_interval"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_integration_input_is_refused_naming_the_field(
    unit_a, unit_admin_a, api_client_for, fields, field
):
    body = {"unit": unit_a.pk, "kind": "alertmanager", "name": "x", **fields}
    answer = api_client_for(unit_admin_a).post(URL, body, format="json")
    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert not Integration.objects.exists()


def test_a_rule_empty_in_the_sample_is_refused_over_the_api_showing_the_sample(
    am_a, unit_admin_a, api_client_for
):
    http = api_client_for(unit_admin_a)
    refused = http.post(
        "/api/alerts/rules/", {"integration": am_a.pk, "label": "pod", "field": "hostname"}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "label"
    assert "oa-app-01:9100" in refused.json()["detail"]
    made = http.post(
        "/api/alerts/rules/",
        {"integration": am_a.pk, "label": "pod", "field": "hostname", "sample": {"pod": "oa-app-01"}},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["position"] == 2


def test_the_unmatched_queue_lists_waiting_alerts_and_map_takes_the_siblings(
    am_a, servers_a, unit_admin_a, api_client_for, post
):
    post(am_a, am_payload(am_alert(name="A", instance="legacy:1")))
    post(am_a, am_payload(am_alert(name="B", instance="legacy:1")))
    post(am_a, am_payload(am_alert(name="C")))  # matched
    http = api_client_for(unit_admin_a)
    queue = http.get("/api/alerts/unmatched/").json()
    assert [row["name"] for row in queue["results"]] == ["A", "B"]
    first = queue["results"][0]["id"]
    mapped = http.post(f"/api/alerts/unmatched/{first}/map/", {"item": servers_a["db"].pk}, format="json")
    assert mapped.status_code == 200
    assert len(mapped.json()["mapped"]) == 2
    assert http.get("/api/alerts/unmatched/").json()["results"] == []
    detail = http.get(f"/api/alerts/alerts/{first}/").json()
    assert (detail["item"], detail["match"]) == (servers_a["db"].pk, "manual")
    assert [event["kind"] for event in detail["events"]] == ["fired", "mapped"]
    listed = http.get("/api/alerts/alerts/", {"match": "manual"}).json()
    assert {row["name"] for row in listed["results"]} == {"A", "B"}


def test_mapping_to_another_units_item_is_refused_as_missing(
    am_a, unit_b, group_admin, unit_admin_a, api_client_for, post
):
    from ..conftest import make_item

    post(am_a, am_payload(am_alert(instance="legacy:1")))
    foreign = make_item(unit_b, "server", "B-1", actor=group_admin)
    alert = Alert.objects.get()
    answer = api_client_for(unit_admin_a).post(
        f"/api/alerts/alerts/{alert.pk}/map/", {"item": foreign.pk}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "item"
    assert Alert.objects.get().match == "unmatched"
