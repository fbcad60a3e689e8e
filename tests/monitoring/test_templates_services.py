"""Check templates through the services: applied in bulk to every item of the type in scope with the
item's values filled in (real inventory items), items lacking a value skipped and reported, applying
again changing nothing, an edit reaching every check in one go, bad input named, and who may do what."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yunwei.audit.models import AuditEvent
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.monitoring import services
from yunwei.monitoring.models import Check, CheckTemplate

from ..conftest import make_item, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def servers_a(unit_a, group_admin):
    """Three servers of unit A: one with an address, one known by name only, one with both."""
    return [
        make_item(unit_a, "server", "A-WEB1", actor=group_admin, ip="10.0.0.11", hostname="web1.a.example"),
        make_item(unit_a, "server", "A-WEB2", actor=group_admin, hostname="web2.a.example"),
        make_item(unit_a, "server", "A-DB1", actor=group_admin, ip="10.0.0.21"),
    ]


def _template(actor, unit, type_code="server", **fields) -> CheckTemplate:
    from yunwei.cmdb.models import ItemType

    fields.setdefault("name", "Ping")
    fields.setdefault("kind", "icmp")
    fields.setdefault("spec", {"host": "{host}", "count": 1})
    return services.create(
        CheckTemplate, actor=actor, unit=unit, item_type=ItemType.objects.get(code=type_code), **fields
    )


def _bulk_events():
    """The audit events of the bulk acts on a template's checks (not those of the template itself)."""
    return AuditEvent.objects.filter(
        object_type="monitoring.checktemplate", comment__startswith="checks "
    ).order_by("pk")  # the order of writing (numbers come at sealing)


def test_applying_creates_one_check_per_server_of_the_type_with_its_address_filled_in(
    unit_a, unit_b, group_admin, servers_a
):
    make_item(unit_a, "switch", "A-SW1", actor=group_admin, ip="10.0.0.1", attributes={"ports": 48})
    make_item(unit_a, "server", "A-OLD", actor=group_admin, ip="10.0.0.99", status="retired")
    make_item(unit_b, "server", "B-WEB1", actor=group_admin, ip="10.1.0.11")
    template = _template(group_admin, unit_a)
    applied = services.apply_template(template, actor=group_admin)
    assert applied.skipped == [] and applied.updated == []
    checks = {check.item.code: check for check in Check.objects.filter(template=template)}
    assert sorted(checks) == ["A-DB1", "A-WEB1", "A-WEB2"]  # not the switch, the retired one, unit B's
    assert {check.pk for check in applied.created} == {check.pk for check in checks.values()}
    assert checks["A-WEB1"].spec == {"host": "10.0.0.11", "count": 1}  # the address before the name
    assert checks["A-WEB2"].spec == {"host": "web2.a.example", "count": 1}
    assert checks["A-DB1"].spec == {"host": "10.0.0.21", "count": 1}
    for check in checks.values():
        assert (check.kind, check.unit_id, check.interval, check.fail_after) == ("icmp", unit_a.pk, 60, 3)
        assert check.name == f"Ping · {check.item.code}"
        assert check.next_run_at is not None  # due at once, like a check made by hand
    # One audit event for the bulk act, naming every check it made.
    [event] = _bulk_events()
    assert (event.action, event.unit_id, event.actor_name) == ("create", unit_a.pk, "group-admin")
    assert sorted(row["id"] for row in event.after["checks"]) == sorted(c.pk for c in checks.values())


def test_a_group_template_applies_to_every_unit_s_items_with_one_audit_event_per_unit(
    group, unit_a, unit_b, group_admin, servers_a
):
    make_item(unit_b, "server", "B-WEB1", actor=group_admin, ip="10.1.0.11")
    template = _template(group_admin, group, spec={"host": "{host}", "port": 22}, kind="tcp", name="SSH")
    applied = services.apply_template(template, actor=group_admin)
    assert len(applied.created) == 4
    by_unit = {}
    for check in Check.objects.filter(template=template):
        by_unit.setdefault(check.unit_id, []).append(check.item.code)
    assert sorted(by_unit[unit_b.pk]) == ["B-WEB1"] and len(by_unit[unit_a.pk]) == 3
    assert [(event.unit_id, len(event.after["checks"])) for event in _bulk_events()] == [
        (unit_a.pk, 3),
        (unit_b.pk, 1),
    ]


def test_items_missing_a_placeholder_value_are_skipped_and_reported(unit_a, group_admin, servers_a):
    bare = make_item(unit_a, "server", "A-BARE", actor=group_admin)  # neither address nor name
    tagged = make_item(
        unit_a, "server", "A-TAG", actor=group_admin, ip="10.0.0.31", attributes={"serial": "SN31"}
    )
    template = _template(
        group_admin, unit_a, kind="tcp", spec={"host": "{host}", "port": 22, "send": "{attr.serial}\n"}
    )
    applied = services.apply_template(template, actor=group_admin)
    assert [check.item.code for check in applied.created] == ["A-TAG"]
    assert Check.objects.get(template=template).spec["send"] == "SN31\n"
    skipped = {skip.item.code: skip.placeholder for skip in applied.skipped}
    assert skipped == {
        "A-BARE": "host",
        "A-DB1": "attr.serial",
        "A-WEB1": "attr.serial",
        "A-WEB2": "attr.serial",
    }
    assert "{host} is empty" in next(skip.why for skip in applied.skipped if skip.item == bare)
    assert tagged.checks.count() == 1 and bare.checks.count() == 0
    count, rows = services.missing_with_reasons(template)
    assert count == 4
    assert dict((item.code, why) for item, why in rows)["A-BARE"] == "{host} is empty for this item"


def test_an_item_whose_filled_in_settings_the_probe_refuses_is_skipped_with_the_reason(unit_a, group_admin):
    make_item(
        unit_a,
        "database",
        "A-PG",
        actor=group_admin,
        ip="10.0.0.5",
        attributes={"product": "postgresql", "version": "16", "port": 5432},
    )
    make_item(
        unit_a,
        "database",
        "A-BADPORT",
        actor=group_admin,
        ip="10.0.0.6",
        attributes={"product": "postgresql", "version": "16", "port": 70000},
    )
    template = _template(
        group_admin,
        unit_a,
        "database",
        kind="postgresql",
        spec={"host": "{host}", "port": "{attr.port}", "user": "probe"},
    )
    applied = services.apply_template(template, actor=group_admin)
    assert [check.item.code for check in applied.created] == ["A-PG"]
    assert applied.created[0].spec == {"host": "10.0.0.5", "port": "5432", "user": "probe"}
    [skip] = applied.skipped
    assert skip.item.code == "A-BADPORT" and skip.placeholder == ""
    assert "'port' is out of range: 70000" in skip.why


def test_applying_again_creates_nothing_and_picks_up_a_new_item(unit_a, group_admin, servers_a):
    template = _template(group_admin, unit_a)
    services.apply_template(template, actor=group_admin)
    before = list(Check.objects.filter(template=template).values_list("pk", "version"))
    events = _bulk_events().count()
    again = services.apply_template(template, actor=group_admin)
    assert (again.created, again.updated, again.skipped) == ([], [], [])
    assert list(Check.objects.filter(template=template).values_list("pk", "version")) == before
    assert _bulk_events().count() == events  # nothing done, nothing audited
    newcomer = make_item(unit_a, "server", "A-NEW", actor=group_admin, ip="10.0.0.40")
    assert list(services.items_missing(template)) == [newcomer]
    third = services.apply_template(template, actor=group_admin)
    assert [check.item for check in third.created] == [newcomer]
    assert Check.objects.filter(template=template).count() == 4


def test_applying_brings_a_check_up_to_date_with_its_item_s_new_address(unit_a, group_admin, servers_a):
    from yunwei.cmdb import services as cmdb

    template = _template(group_admin, unit_a)
    services.apply_template(template, actor=group_admin)
    web1 = servers_a[0]
    cmdb.update(web1, actor=group_admin, expected_version=web1.version, ip="10.0.0.111")
    applied = services.apply_template(template, actor=group_admin)
    assert [check.item for check in applied.updated] == [web1] and applied.created == []
    check = Check.objects.get(template=template, item=web1)
    assert (check.spec["host"], check.version) == ("10.0.0.111", 2)


def test_an_edit_some_check_cannot_follow_is_refused_whole_naming_the_item(unit_a, group_admin, servers_a):
    template = _template(group_admin, unit_a)
    services.apply_template(template, actor=group_admin)
    before = list(Check.objects.filter(template=template).values("pk", "spec", "version", "kind"))
    with pytest.raises(DomainError) as refused:
        services.update(template, actor=group_admin, expected_version=1, spec={"host": "{hostname}"})
    assert refused.value.field == "spec"
    assert "A-DB1" in refused.value.message and "{hostname} is empty" in refused.value.message
    template.refresh_from_db()
    assert (template.version, template.spec) == (1, {"host": "{host}", "count": 1})
    assert list(Check.objects.filter(template=template).values("pk", "spec", "version", "kind")) == before


def test_an_edit_reaches_every_check_with_its_spec_re_rendered(unit_a, group_admin, servers_a):
    template = _template(group_admin, unit_a)
    services.apply_template(template, actor=group_admin)
    events = _bulk_events().count()
    services.update(
        template,
        actor=group_admin,
        expected_version=1,
        name="SSH",
        kind="tcp",
        spec={"host": "{host}", "port": 22, "expect": "SSH-"},
        interval=300,
        retry_interval=30,
        fail_after=5,
        recover_after=1,
    )
    checks = {check.item.code: check for check in Check.objects.filter(template=template)}
    assert checks["A-WEB2"].spec == {"host": "web2.a.example", "port": 22, "expect": "SSH-"}
    assert checks["A-DB1"].spec == {"host": "10.0.0.21", "port": 22, "expect": "SSH-"}
    for code, check in checks.items():
        assert (check.name, check.kind, check.version) == (f"SSH · {code}", "tcp", 2)
        assert (check.interval, check.retry_interval, check.fail_after, check.recover_after) == (
            300,
            30,
            5,
            1,
        )
    [event] = _bulk_events()[events:]
    assert event.action == "update" and len(event.after["checks"]) == 3
    assert event.after["fields"] == sorted(
        ["name", "kind", "spec", "interval", "retry_interval", "fail_after", "recover_after"]
    )


def test_a_hand_edit_of_a_field_the_template_owns_is_refused_naming_it(unit_a, group_admin, servers_a):
    template = _template(group_admin, unit_a)
    services.apply_template(template, actor=group_admin)
    check = Check.objects.filter(template=template).first()
    for field, value in (
        ("interval", 600),
        ("spec", {"host": "10.9.9.9"}),
        ("name", "mine"),
        ("item", servers_a[1]),
    ):
        if field == "item" and check.item == servers_a[1]:
            value = servers_a[0]
        with pytest.raises(DomainError) as refused:
            services.update(check, actor=group_admin, expected_version=check.version, **{field: value})
        assert refused.value.field == field
        assert "follows the template “Ping”" in refused.value.message
    # The same values sent back (as the check's form does) and the fields it does not own are fine.
    services.update(
        check, actor=group_admin, expected_version=1, interval=60, spec=check.spec, is_reference=True
    )
    check.refresh_from_db()
    assert (check.is_reference, check.interval, check.version) == (True, 60, 2)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"spec": {"host": "{port}"}}, "spec", "Unknown placeholder {port}"),
        ({"spec": {"host": "{attr.oid}"}}, "spec", "has no attribute “oid”"),
        ({"spec": {"host": "{host!r}"}}, "spec", "Unknown placeholder {host!r}"),
        ({"spec": {"host": "{host"}}, "spec", "A brace without its pair"),
        ({"spec": {"count": 1}}, "spec", "the spec has no 'host'"),
        ({"spec": ["{host}"]}, "spec", "must be a JSON object"),
        ({"kind": "smtp"}, "kind", "Choose the kind"),
        ({"name": " "}, "name", "required"),
        ({"interval": 5}, "interval", "between 10 and 86400"),
        ({"interval": 30, "retry_interval": 60}, "retry_interval", "not be longer"),
        ({"fail_after": 0}, "fail_after", "between 1 and 100"),
        ({"item_type": None}, "item_type", "Choose the item type"),
    ],
)
def test_bad_input_is_refused_naming_the_field(unit_a, group_admin, fields, field, words):
    from yunwei.cmdb.models import ItemType

    values = {
        "unit": unit_a,
        "item_type": ItemType.objects.get(code="server"),
        "name": "Ping",
        "kind": "icmp",
        "spec": {"host": "{host}"},
        **fields,
    }
    with pytest.raises(DomainError) as refused:
        services.create(CheckTemplate, actor=group_admin, **values)
    assert refused.value.field == field
    assert words in refused.value.message
    assert not CheckTemplate.objects.exists()


def test_placeholders_in_nested_texts_and_escaped_braces_are_filled(unit_a, group_admin):
    make_item(
        unit_a,
        "oa-application",
        "A-OA",
        actor=group_admin,
        hostname="oa.a.example",
        attributes={"url": "https://oa.a.example/"},
    )
    template = _template(
        group_admin,
        unit_a,
        "oa-application",
        kind="http",
        spec={
            "url": "{attr.url}health",
            "headers": {"X-Item": "{code} {{literal}}"},
            "expected_status": [200],
        },
    )
    [check] = services.apply_template(template, actor=group_admin).created
    assert check.spec == {
        "url": "https://oa.a.example/health",
        "headers": {"X-Item": "A-OA {literal}"},
        "expected_status": [200],
    }


def test_who_may_manage_templates_and_the_refusals_say_why(
    group, unit_a, unit_b, group_admin, unit_admin_a, unit_user_a, servers_a
):
    with pytest.raises(PermissionDenied) as refused:
        _template(unit_admin_a, group)
    assert "Only a group system admin manages the group's check templates" in refused.value.message
    with pytest.raises(PermissionDenied) as refused:
        _template(unit_admin_a, unit_b)
    assert "may not manage the check templates of this unit" in refused.value.message
    with pytest.raises(PermissionDenied):
        _template(unit_user_a, unit_a)
    mine = _template(unit_admin_a, unit_a)
    assert len(services.apply_template(mine, actor=unit_admin_a).created) == 3
    with pytest.raises(PermissionDenied):
        services.apply_template(mine, actor=unit_user_a)
    staff_a = make_user("a-staff", unit_a, "tech_staff")
    services.update(mine, actor=staff_a, expected_version=1, interval=120)  # as the unit's checks
    group_template = _template(group_admin, group)
    with pytest.raises(PermissionDenied) as refused:
        services.apply_template(group_template, actor=unit_admin_a)
    assert "Only a group system admin" in refused.value.message
    with pytest.raises(PermissionDenied):
        services.delete(group_template, actor=unit_admin_a)
    assert not Check.objects.filter(template=group_template).exists()


def test_the_unit_and_type_of_a_template_with_checks_stay(unit_a, unit_b, group_admin, servers_a):
    from yunwei.cmdb.models import ItemType

    template = _template(group_admin, unit_a)
    services.apply_template(template, actor=group_admin)
    for field, value in (("item_type", ItemType.objects.get(code="switch")), ("unit", unit_b)):
        with pytest.raises(DomainError) as refused:
            services.update(template, actor=group_admin, expected_version=1, **{field: value})
        assert refused.value.field == field
    template.refresh_from_db()
    assert (template.unit, template.item_type.code) == (unit_a, "server")


def test_deleting_a_template_detaches_its_checks_which_keep_running(unit_a, group_admin, servers_a):
    template = _template(group_admin, unit_a)
    created = services.apply_template(template, actor=group_admin).created
    services.delete(template, actor=group_admin)
    assert not CheckTemplate.objects.exists()
    checks = Check.objects.filter(pk__in=[check.pk for check in created])
    assert checks.count() == 3
    assert {(check.template_id, check.version, check.spec["host"] != "") for check in checks} == {
        (None, 2, True)
    }
    assert all(check.next_run_at is not None for check in checks)
    detached = _bulk_events().last()
    assert (detached.action, detached.object_id, detached.after["template"]) == (
        "update",
        str(template.pk),
        None,
    )
    assert sorted(row["id"] for row in detached.after["checks"]) == sorted(check.pk for check in created)
    # A check of its own now: a hand edit of any field is fine.
    check = checks.first()
    services.update(check, actor=group_admin, expected_version=2, interval=600)


def test_a_disabled_template_applies_nothing_and_its_checks_do_not_run(unit_a, group_admin, servers_a):
    template = _template(group_admin, unit_a)
    services.apply_template(template, actor=group_admin)
    services.update(template, actor=group_admin, expected_version=1, enabled=False)
    assert set(Check.objects.filter(template=template).values_list("next_run_at", flat=True)) == {None}
    assert services.due_checks(timezone.now()) == []
    make_item(unit_a, "server", "A-NEW", actor=group_admin, ip="10.0.0.40")
    with pytest.raises(DomainError) as refused:
        services.apply_template(CheckTemplate.objects.get(pk=template.pk), actor=group_admin)
    assert refused.value.field == "enabled"
    assert Check.objects.filter(template=template).count() == 3
    services.update(template, actor=group_admin, expected_version=2, enabled=True)
    assert None not in set(Check.objects.filter(template=template).values_list("next_run_at", flat=True))


def test_applying_takes_as_many_queries_for_twenty_items_as_for_four(unit_a, unit_b, group, group_admin):
    def queries_to_apply(unit, count):
        subnet = 1 if unit == unit_a else 2  # not the unit's id: PostgreSQL's ids outgrow an octet
        for n in range(count):
            make_item(unit, "router", f"{unit.code}-R{n}", actor=group_admin, ip=f"10.2.{subnet}.{n + 1}")
        template = _template(group_admin, unit, "router")
        with CaptureQueriesContext(connection) as captured:
            applied = services.apply_template(template, actor=group_admin)
        assert len(applied.created) == count
        return len(captured)

    assert queries_to_apply(unit_a, 4) == queries_to_apply(unit_b, 20)
