"""The intake endpoint: Alertmanager's webhook (firing, grouped, resolved, repeats), identity by the
source's fingerprint or by labels without the replica labels, the token in the path or a Bearer header,
and every refusal (unknown token, content type, malformed or truncated body, size) storing nothing."""

import json

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yunwei.alerts.models import Alert, AlertEvent, Payload
from yunwei.alerts.services import parsing
from yunwei.audit.models import AuditEvent

from .conftest import am_alert, am_payload

pytestmark = pytest.mark.django_db


def _nothing_stored():
    return not Payload.objects.exists() and not Alert.objects.exists()


def test_a_grouped_firing_payload_stores_the_body_raw_and_one_alert_each(am_a, servers_a, post):
    body = am_payload(
        am_alert(fingerprint="aaaa000000000001"), am_alert(instance="10.0.0.12:9100", fingerprint="b2")
    )
    # The newest event written so far (primary keys follow the order of writing; numbers come at sealing).
    audited = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    answer = post(am_a, body)
    assert answer.status_code == 200, answer.content
    payload = Payload.objects.get()
    assert answer.json() == {"payload": payload.pk, "alerts": 2}
    assert json.loads(payload.body) == body
    first, second = Alert.objects.get(fingerprint="aaaa000000000001"), Alert.objects.get(fingerprint="b2")
    assert (first.status, first.item, first.match) == ("firing", servers_a["app"], "matched")
    # `instance` 10.0.0.12:9100: the host part is an IP, looked up among the items' addresses.
    assert second.item == servers_a["db"]
    assert [entry["item"] for entry in payload.outcome] == [servers_a["app"].pk, servers_a["db"].pk]
    assert AlertEvent.objects.filter(kind="fired").count() == 2
    # Machine data never waits on the audit chain: the only events are of the incident correlation opened
    # (audited as any other, docs/correlation.md).
    written = AuditEvent.objects.filter(pk__gt=audited)
    assert set(written.values_list("object_type", flat=True)) == {"incidents.incident"}


def test_a_redelivery_changes_no_state_but_counts_the_repeat(am_a, servers_a, post):
    body = am_payload(am_alert(fingerprint="f1"))
    post(am_a, body)
    alert = Alert.objects.get()
    for _ in range(2):
        assert post(am_a, body).status_code == 200
    again = Alert.objects.get()
    assert again.pk == alert.pk
    assert (again.status, again.repeat_count) == ("firing", 2)
    assert again.last_seen_at > alert.last_seen_at
    assert again.stale_after > alert.stale_after
    assert AlertEvent.objects.filter(alert=alert).count() == 1  # only "fired": repeats are not changes
    assert Payload.objects.count() == 3  # each delivery is kept raw


def test_a_resolved_alert_moves_from_firing_to_resolved_and_firing_again_reopens_it(am_a, servers_a, post):
    post(am_a, am_payload(am_alert(fingerprint="f1")))
    post(am_a, am_payload(am_alert("resolved", fingerprint="f1")))
    alert = Alert.objects.get()
    assert (alert.status, alert.stale_after) == ("resolved", None)
    assert alert.ends_at is not None
    post(am_a, am_payload(am_alert(fingerprint="f1")))
    alert.refresh_from_db()
    assert (alert.status, alert.ends_at) == ("firing", None)
    steps = list(alert.events.order_by("at", "id").values_list("kind", "from_state", "to_state"))
    assert steps == [
        ("fired", "", "firing"),
        ("resolved", "firing", "resolved"),
        ("fired", "resolved", "firing"),
    ]


def test_the_sources_fingerprint_is_the_identity_whatever_the_labels(am_a, servers_a, post):
    post(am_a, am_payload(am_alert(fingerprint="same", severity="warning")))
    post(am_a, am_payload(am_alert(fingerprint="same", severity="critical")))
    assert Alert.objects.count() == 1


def test_without_a_fingerprint_a_redundant_prometheus_pair_counts_once(am_a, servers_a, post):
    post(am_a, am_payload(am_alert(prometheus_replica="prom-a")))
    post(am_a, am_payload(am_alert(prometheus_replica="prom-b")))
    alert = Alert.objects.get()
    assert alert.repeat_count == 1
    # A label that is not a replica label tells alerts apart.
    post(am_a, am_payload(am_alert(prometheus_replica="prom-a", device="sda")))
    assert Alert.objects.count() == 2


@given(
    labels=st.dictionaries(
        st.text("abcxyz_", min_size=1, max_size=6), st.text(max_size=8), min_size=1, max_size=6
    ),
    replica=st.text("0123456789", min_size=1, max_size=4),
)
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_identity_ignores_only_the_replica_labels_and_their_order(labels, replica):
    forward = parsing.Incoming(name="x", status="firing", labels=dict(labels), annotations={})
    shuffled = dict(reversed(list({**labels, "prometheus_replica": replica}.items())))
    backward = parsing.Incoming(name="x", status="firing", labels=shuffled, annotations={})
    assert parsing.identity(forward, ["prometheus_replica"]) == parsing.identity(
        backward, ["prometheus_replica"]
    )
    other = parsing.Incoming(name="x", status="firing", labels={**labels, "zz_other": "1"}, annotations={})
    assert parsing.identity(other, ["prometheus_replica"]) != parsing.identity(
        forward, ["prometheus_replica"]
    )


def test_grafana_managed_alerts_with_extra_fields_are_accepted(am_a, servers_a, post):
    alert = {
        **am_alert(fingerprint="gf1"),
        "values": {"A": 97.5},
        "valueString": "[ var='A' value=97.5 ]",
        "silenceURL": "http://grafana/alerting/silence/new",
        "dashboardURL": "",
        "panelURL": "",
        "orgId": 1,
    }
    body = {**am_payload(alert), "orgId": 1, "title": "[FIRING:1]", "state": "alerting", "message": "…"}
    assert post(am_a, body).status_code == 200
    assert Alert.objects.get().item == servers_a["app"]


def test_the_token_may_come_in_a_bearer_header(am_a, servers_a, client):
    answer = client.post(
        "/intake/alertmanager/",
        data=json.dumps(am_payload(am_alert())),
        content_type="application/json",
        headers={"Authorization": f"Bearer {am_a.token}"},
    )
    assert answer.status_code == 200
    assert Alert.objects.count() == 1


@pytest.mark.parametrize("token", ["yw_not-a-token", ""])
def test_an_unknown_or_missing_token_is_refused_with_401_and_nothing_stored(am_a, client, token):
    answer = client.post(
        f"/intake/alertmanager/{token + '/' if token else ''}",
        data=json.dumps(am_payload(am_alert())),
        content_type="application/json",
    )
    assert answer.status_code == 401
    assert answer.json()["field"] == "token"
    assert answer["WWW-Authenticate"].startswith("Bearer")
    assert _nothing_stored()


def test_a_token_posted_to_another_kinds_address_is_unknown(am_a, client):
    answer = client.post(
        f"/intake/zabbix/{am_a.token}/",
        data=json.dumps(am_payload(am_alert())),
        content_type="application/json",
    )
    assert answer.status_code == 401
    assert _nothing_stored()


def test_a_rotated_token_stops_the_old_one_at_once(am_a, group_admin, post):
    from yunwei.alerts import services

    old = am_a.token
    am_a, new = services.rotate_token(am_a, actor=group_admin)
    assert post(am_a, am_payload(am_alert()), token=old).status_code == 401
    assert post(am_a, am_payload(am_alert()), token=new).status_code == 200
    event = AuditEvent.objects.filter(action="update", object_id=str(am_a.pk)).latest("seq")
    assert "token_hash" not in json.dumps(event.after) and new not in json.dumps(event.after)


def test_a_content_type_other_than_json_is_refused_with_415(am_a, post):
    answer = post(am_a, am_payload(am_alert()), content_type="text/plain")
    assert answer.status_code == 415
    assert "application/json" in answer.json()["detail"]
    assert _nothing_stored()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"version": "4", "alerts": [{"status": "firing"', "body"),  # truncated
        (b"\xff\xfe not utf-8", "body"),
        (b"[1, 2]", "body"),
        (b'{"version": "4"}', "alerts"),
        (b'{"alerts": [{"status": "firing", "labels": {}}]}', "alerts[0].labels"),
        (b'{"alerts": [{"status": "burning", "labels": {"alertname": "x"}}]}', "alerts[0].status"),
        (b'{"alerts": [{"status": "firing", "labels": {"a": ["x"]}}]}', "alerts[0].labels.a"),
        (
            b'{"alerts": [{"status": "firing", "labels": {"a": "x"}, "startsAt": "yesterday"}]}',
            "alerts[0].startsAt",
        ),
    ],
)
def test_a_malformed_body_is_refused_with_400_naming_the_problem(am_a, post, raw, field):
    answer = post(am_a, None, raw=raw)
    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert _nothing_stored()


@override_settings(ALERT_PAYLOAD_LIMIT=2_000)
def test_a_body_over_the_limit_is_refused_with_413(am_a, post):
    body = am_payload(*[am_alert(fingerprint=f"f{k}") for k in range(20)])
    answer = post(am_a, body)
    assert answer.status_code == 413
    assert "2000" in answer.json()["detail"]
    assert _nothing_stored()


def test_only_post_is_accepted(am_a, client):
    assert client.get(f"/intake/alertmanager/{am_a.token}/").status_code == 405


def test_the_watchdog_proves_the_source_alive_and_is_not_an_alert(am_a, post):
    answer = post(am_a, am_payload(am_alert(name="Watchdog", instance="")))
    assert answer.status_code == 200
    am_a.refresh_from_db()
    assert am_a.last_watchdog_at is not None
    assert not Alert.objects.exists()
    assert Payload.objects.get().outcome == []


@given(statuses=st.lists(st.sampled_from(["firing", "resolved"]), min_size=1, max_size=12))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_order_of_deliveries_keeps_one_alert_whose_history_has_each_change_once(am_a, statuses):
    """Deliveries of one alert in any order: one row; its status is the last delivered; each change of
    status (and only a change) is one history entry; every other delivery is a repeat."""
    from yunwei.alerts import services

    fingerprint = f"h{Alert.objects.count():015d}"  # a fresh alert for each example
    for status in statuses:
        body = json.dumps(am_payload(am_alert(status, fingerprint=fingerprint))).encode()
        services.receive(am_a.token, "alertmanager", body)
    alert = Alert.objects.get(fingerprint=fingerprint)
    changes = sum(1 for before, after in zip(statuses, statuses[1:], strict=False) if before != after)
    assert alert.status == statuses[-1]
    assert alert.events.count() == 1 + changes
    assert alert.repeat_count == len(statuses) - 1 - changes
