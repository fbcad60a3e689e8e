"""The alerts app's foreign-unit cases, merged into tests/test_foreign_unit.py."""

import json

from django.test import Client

from yunwei.alerts import services
from yunwei.alerts.models import Alert

from .conftest import make_integration

CASES: dict[str, tuple[str, str]] = {
    "api:alerts:integration-list": ("list", "integration"),
    "api:alerts:integration-detail": ("detail", "integration"),
    "api:alerts:integration-rotate": ("post", "integration"),
    "api:alerts:integration-payloads": ("get", "integration"),
    "api:alerts:mappingrule-list": ("list", "rule"),
    "api:alerts:mappingrule-detail": ("detail", "rule"),
    "api:alerts:alert-list": ("list", "alert"),
    "api:alerts:alert-detail": ("get", "alert"),
    "api:alerts:alert-map": ("post", "alert"),
    "api:alerts:unmatched-list": ("list", "alert"),
    "api:alerts:unmatched-detail": ("get", "alert"),
    "api:alerts:unmatched-map": ("post", "alert"),
    "alerts:integration-list": ("page-list", "integration"),
    "alerts:integration-detail": ("page", "integration"),
    "alerts:integration-edit": ("page", "integration"),
    "alerts:integration-rotate": ("page-post", "integration"),
    "alerts:integration-delete": ("page-post", "integration"),
    "alerts:rule-create": ("page", "integration"),
    "alerts:rule-edit": ("page", "rule"),
    "alerts:rule-delete": ("page-post", "rule"),
    "alerts:alert-list": ("page-list", "alert"),
    "alerts:unmatched": ("page-list", "alert"),
    "alerts:alert-detail": ("page", "alert"),
    "alerts:alert-map": ("page-post", "alert"),
}
INTAKE = "a source's post by its secret token, no log-in by design (tests/alerts/test_intake.py)"
NOT_OBJECT_ROUTES: dict[str, str] = {
    "api:alerts:api-root": "index of links",
    "alerts:integration-create": "a form; only the units the user manages are among its choices",
    "intake:receive": INTAKE,
    "intake:receive-bearer": "the same, the token in a Bearer header (tests/alerts/test_intake.py)",
}
DETAIL_PAGES: dict[str, str] = {
    "integration": "alerts:integration-detail",
    "alert": "alerts:alert-detail",
}


def build_records(unit, actor) -> dict:
    """An Alertmanager integration of `unit` with one rule and one unmatched alert, through the intake."""
    integration = make_integration(unit, actor, name="甲单位普罗米修斯")
    rule = services.create_rule(actor=actor, integration=integration, label="instance", field="instance")
    body = {
        "version": "4",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "甲单位磁盘将满", "instance": "jia-nowhere:9100"},
                "annotations": {},
                "startsAt": "2026-12-07T01:00:00Z",
            }
        ],
    }
    answer = Client().post(
        f"/intake/alertmanager/{integration.token}/", data=json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    return {"integration": integration, "rule": rule, "alert": Alert.objects.get(integration=integration)}
