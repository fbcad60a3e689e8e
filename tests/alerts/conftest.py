"""Alert intake fixtures: integrations of unit A made through the services (the token kept for posting),
servers of unit A to map onto, and a client that posts like a source does."""

import json

import pytest
from django.utils import translation

from yunwei.alerts import services

from ..conftest import make_item


@pytest.fixture(autouse=True)
def _english():
    """Service messages are asserted in the source language."""
    with translation.override("en"):
        yield


@pytest.fixture
def servers_a(unit_a, group_admin) -> dict:
    """Two servers of unit A, by hostname and IP; a third sharing a hostname with another (ambiguous)."""
    return {
        "app": make_item(
            unit_a, "server", "OA-APP-01", actor=group_admin, hostname="oa-app-01", ip="10.0.0.11"
        ),
        "db": make_item(unit_a, "server", "OA-DB-01", actor=group_admin, hostname="oa-db-01", ip="10.0.0.12"),
        "twin1": make_item(unit_a, "server", "TWIN-1", actor=group_admin, hostname="twin"),
        "twin2": make_item(unit_a, "server", "TWIN-2", actor=group_admin, hostname="twin"),
    }


def make_integration(unit, actor, kind="alertmanager", **fields):
    integration, token = services.create_integration(
        actor=actor, unit=unit, kind=kind, name=fields.pop("name", f"甲{kind}"), **fields
    )
    integration.token = token
    return integration


@pytest.fixture
def am_a(unit_a, group_admin):
    """An Alertmanager integration of unit A whose `instance` host part names the item."""
    integration = make_integration(unit_a, group_admin)
    services.create_rule(actor=group_admin, integration=integration, label="instance", field="instance")
    return integration


@pytest.fixture
def zabbix_a(unit_a, group_admin):
    integration = make_integration(unit_a, group_admin, kind="zabbix")
    services.create_rule(actor=group_admin, integration=integration, label="host", field="hostname")
    return integration


@pytest.fixture
def post(client):
    """POST a JSON body to an integration's intake address, as its source does; the correlation outbox is
    then drained, as the worker does (the test's transaction never commits, so nothing asks it)."""

    def send(integration, body, *, token=None, headers=None, raw: bytes | None = None, **extra):
        data = raw if raw is not None else json.dumps(body).encode()
        token = integration.token if token is None else token
        # The answer is in the request's language: English, the source the messages are asserted in.
        extra.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
        response = client.post(
            f"/intake/{integration.kind}/{token}/",
            data=data,
            content_type=extra.pop("content_type", "application/json"),
            headers=headers or {},
            **extra,
        )
        services.correlate_pending()  # what the worker does once asked, after the commit
        return response

    return send


def am_alert(status="firing", *, name="InstanceDown", instance="oa-app-01:9100", fingerprint=None, **labels):
    alert = {
        "status": status,
        "labels": {"alertname": name, "instance": instance, "job": "node", **labels},
        "annotations": {"summary": f"{instance} down"},
        "startsAt": "2026-12-07T01:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-12-07T02:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
    }
    if fingerprint:
        alert["fingerprint"] = fingerprint
    return alert


def am_payload(*alerts, status=None):
    """Alertmanager's webhook body, version 4."""
    return {
        "version": "4",
        "groupKey": '{}:{alertname="InstanceDown"}',
        "truncatedAlerts": 0,
        "status": status or alerts[0]["status"],
        "receiver": "yunwei",
        "groupLabels": {"alertname": "InstanceDown"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }
