"""Inspection round templates kept by the unit's admins on pages and API: edited with their version,
retired; readings follow the current definition; a round already walked keeps what it was judged against."""

import datetime

import pytest

from yunwei.audit.models import AuditEvent
from yunwei.core.errors import DomainError, PermissionDenied, StaleEdit, TransitionNotAllowed
from yunwei.logbook import facts, services
from yunwei.logbook.models import Checkpoint, Reading, RoundTemplate

from .conftest import FEBRUARY, MARCH, NOW, at, readings, walk

pytestmark = pytest.mark.django_db

POINTS = [
    {"label": "温度", "kind": "number", "unit_label": "°C", "low": 18, "high": 25},
    {"label": "湿度", "kind": "number", "unit_label": "%", "low": 40, "high": 60},
    {"label": "UPS 负载", "kind": "number", "unit_label": "%", "high": 80},
    {"label": "无告警", "kind": "boolean"},
]


def test_an_edited_limit_judges_new_rounds_and_leaves_walked_ones_as_judged(template, tech_a, unit_admin_a):
    before = walk(template, tech_a, datetime.date(2026, 3, 2), temperature="26")
    old = before.readings.get(checkpoint__position=1)
    assert not old.out_of_limits  # 26 °C within 18–27 °C
    edited = services.update_template(
        template, actor=unit_admin_a, expected_version=template.version, checkpoints=POINTS
    )
    assert edited.version == template.version + 1
    # The replaced reading is audited, with its limits before and after.
    event = AuditEvent.objects.get(comment="1 readings replaced")
    assert (event.before["checkpoints"][0]["high"], event.after["checkpoints"][0]["high"]) == (27, 25)
    # The walked round still points at the temperature checkpoint it was judged against (≤ 27 °C).
    old.refresh_from_db()
    assert (old.checkpoint.high, old.checkpoint.retired_at is not None, old.out_of_limits) == (
        27,
        True,
        False,
    )
    # The unchanged readings are the same checkpoints; only the temperature was replaced.
    current = list(template.current_checkpoints())
    assert [c.high for c in current] == [25, 60, 80, None]
    assert Checkpoint.objects.filter(template=template).count() == 5
    after = walk(template, tech_a, datetime.date(2026, 3, 3), temperature="26")
    assert after.readings.get(checkpoint__position=1).out_of_limits


def test_a_stale_edit_is_refused_naming_the_version_and_changes_nothing(template, unit_admin_a):
    version = template.version
    services.update_template(template, actor=unit_admin_a, expected_version=version, name="机房巡检（夜）")
    with pytest.raises(StaleEdit) as refused:
        services.update_template(template, actor=unit_admin_a, expected_version=version, checkpoints=POINTS)
    assert refused.value.field == "version"
    template.refresh_from_db()
    assert (template.name, template.version) == ("机房巡检（夜）", version + 1)
    assert [c.high for c in template.current_checkpoints()] == [27, 60, 80, None]


@pytest.mark.parametrize(
    ("points", "field"),
    [
        ([{"label": "温度", "kind": "number", "low": 30, "high": 20}], "checkpoints"),
        ([{"label": "无告警", "kind": "boolean", "high": 1}], "checkpoints"),
        ([{"label": "温度", "kind": "colour"}], "checkpoints"),
        ([{"label": "温度", "kind": "number", "high": "hot"}], "checkpoints"),
        ([], "checkpoints"),
    ],
)
def test_a_bad_checklist_is_refused_naming_the_field_and_nothing_is_half_written(
    template, unit_admin_a, points, field
):
    with pytest.raises(DomainError) as refused:
        services.update_template(
            template, actor=unit_admin_a, expected_version=template.version, checkpoints=points
        )
    assert refused.value.field == field
    assert Checkpoint.objects.filter(template=template).count() == 4
    assert RoundTemplate.objects.get(pk=template.pk).version == template.version


def test_only_the_units_admins_edit_or_retire_a_round(template, tech_a):
    with pytest.raises(PermissionDenied):
        services.update_template(template, actor=tech_a, expected_version=template.version, name="x")
    with pytest.raises(PermissionDenied):
        services.retire_template(template, actor=tech_a)
    assert RoundTemplate.objects.get(pk=template.pk).name == "机房巡检"


def test_a_retired_round_is_not_due_any_more_and_keeps_its_missed_days(template, tech_a, unit_admin_a):
    # Walked every day of March before today (15 March) but the 10th.
    for day in range(1, 15):
        if day != 10:
            walk(template, tech_a, datetime.date(2026, 3, day))
    services.retire_template(template, actor=unit_admin_a, expected_version=template.version)
    template.refresh_from_db()
    assert (template.retired_on, template.is_active) == (NOW.date(), False)
    assert [m.day.day for m in facts.missing_rounds(template.unit, MARCH)] == [10]
    # February's missing rounds are kept too (none walked in February).
    assert len(facts.missing_rounds(template.unit, FEBRUARY)) == 28
    with pytest.raises(DomainError) as refused:
        services.record_round(
            actor=tech_a,
            template=template,
            occurred_at=at(NOW.date(), 9),
            performed_by=tech_a.person,
            readings=readings(template),
        )
    assert refused.value.field == "template"
    with pytest.raises(TransitionNotAllowed):
        services.retire_template(template, actor=unit_admin_a)
    with pytest.raises(TransitionNotAllowed):
        services.update_template(template, actor=unit_admin_a, name="x")


def test_the_edit_page_comes_prefilled_and_saves_with_the_version(
    client, template, unit_admin_a, machine_room_team
):
    client.force_login(unit_admin_a)
    page = client.get(f"/logbook/rounds/{template.pk}/edit/")
    assert page.status_code == 200
    assert "温度 | number | °C | 18 | 27" in page.content.decode()
    lines = "\n".join(
        [
            "温度 | number | °C | 18 | 25",
            "湿度 | number | % | 40 | 60",
            "UPS 负载 | number | % |  | 80",
            "无告警 | boolean",
        ]
    )
    data = {
        "team": machine_room_team.pk,
        "name": "机房巡检",
        "weekdays": [0, 1, 2, 3, 4],
        "checkpoints": lines,
        "version": template.version,
    }
    assert client.post(f"/logbook/rounds/{template.pk}/edit/", data).status_code == 302
    template.refresh_from_db()
    assert (template.weekdays, [c.high for c in template.current_checkpoints()]) == (
        [0, 1, 2, 3, 4],
        [25, 60, 80, None],
    )
    stale = client.post(f"/logbook/rounds/{template.pk}/edit/", {**data, "name": "旧版"})
    assert stale.status_code == 400
    assert RoundTemplate.objects.get(pk=template.pk).name == "机房巡检"
    detail = client.get(f"/logbook/rounds/{template.pk}/").content.decode()
    assert f"/logbook/rounds/{template.pk}/retire/" in detail
    assert (
        client.post(f"/logbook/rounds/{template.pk}/retire/", {"version": template.version}).status_code
        == 302
    )
    assert RoundTemplate.objects.get(pk=template.pk).retired_on == NOW.date()


def test_the_api_edits_with_the_version_and_retires(api_client_for, template, unit_admin_a, unit_admin_b):
    http = api_client_for(unit_admin_a)
    url = f"/api/logbook/templates/{template.pk}/"
    assert http.patch(url, {"name": "x"}, format="json").status_code == 400  # the version is required
    response = http.patch(url, {"checkpoints": POINTS, "version": template.version}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [c["high"] for c in body["checkpoints"]] == [25, 60, 80, None]
    assert body["version"] == template.version + 1
    bad = http.patch(
        url, {"checkpoints": [{"label": "t", "low": 9, "high": 1}], "version": body["version"]}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["field"] == "checkpoints"
    # Another unit's admin reaches nothing.
    assert (
        api_client_for(unit_admin_b)
        .patch(url, {"name": "越权", "version": body["version"]}, format="json")
        .status_code
        == 404
    )
    retired = http.post(f"{url}retire/", {"version": body["version"]}, format="json")
    assert retired.status_code == 200 and retired.json()["retired_on"] == NOW.date().isoformat()
    assert Reading.objects.count() == 0
