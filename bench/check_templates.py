"""Benchmark: applying a check template to every server of a group (issue 21), against making the same
checks one at a time through `create_check` (one audited write each) in the same run.

    python bench/check_templates.py --scale small|full

Bulk-inserts the items (small: 1,000, full: 10,000 servers, half in each of two units, each with an
address) in a database of its own — `YUNWEI_DATABASE_URL` when set (an empty database), else a temporary
SQLite file — then measures:
`apply_template` of a group template (every unit's servers: creates one check per item), an edit of the
template reaching every check (`update_template`, spec re-rendered per item), applying again (nothing to
do), and, as the baseline, `create_check` called once per item for a second set of checks. Prints the
figures and, as its last line, one JSON object.
"""

import argparse
import time

from common import migrate_empty, ms, report, setup_django

SCALES = {"small": 1_000, "full": 10_000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    n = SCALES[parser.parse_args().scale]
    setup_django()

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yunwei.audit.models import AuditEvent
    from yunwei.cmdb.models import Item, ItemType
    from yunwei.monitoring import services
    from yunwei.monitoring.models import Check, CheckTemplate
    from yunwei.org.choices import Role, UnitKind
    from yunwei.org.models import Person, Unit

    migrate_empty(Check, "checks")
    group = Unit.objects.create(code="bench-group", name="集团", kind=UnitKind.GROUP)
    units = [Unit.objects.create(code=f"bench-{i}", name=f"单位{i}", parent=group) for i in range(2)]
    admin = get_user_model().objects.create_user("bench-admin", "", "bench-password-123")
    person = Person.objects.create(unit=group, name="bench", account=admin)
    person.role_assignments.create(unit=group, role=Role.GROUP_ADMIN)
    admin = get_user_model().objects.get(pk=admin.pk)
    server = ItemType.objects.get(code="server")
    Item.objects.bulk_create(
        Item(
            unit=units[i % 2],
            type=server,
            domain=server.domain,
            code=f"SRV{i:05d}",
            name=f"server {i}",
            ip=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
        )
        for i in range(n)
    )
    template = services.create_template(
        actor=admin, unit=group, item_type=server, name="Ping", kind="icmp", spec={"host": "{host}"}
    )

    events = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        applied = services.apply_template(template, actor=admin)
        apply_s = time.perf_counter() - started
    assert len(applied.created) == n, len(applied.created)
    apply_queries, apply_events = len(captured), AuditEvent.objects.count() - events

    template = CheckTemplate.objects.get(pk=template.pk)
    started = time.perf_counter()
    services.update_template(template, actor=admin, expected_version=1, spec={"host": "{host}", "count": 5})
    edit_s = time.perf_counter() - started
    assert Check.objects.filter(template=template, spec__count=5).count() == n

    started = time.perf_counter()
    again = services.apply_template(template, actor=admin)
    again_s = time.perf_counter() - started
    assert not again.created and not again.updated

    events = AuditEvent.objects.count()
    started = time.perf_counter()
    for item in Item.objects.order_by("pk"):
        services.create_check(
            actor=admin, item=item, name=f"by hand {item.code}", kind="icmp", spec={"host": item.ip}
        )
    one_by_one_s = time.perf_counter() - started
    one_by_one_events = AuditEvent.objects.count() - events

    figures = {
        "items": n,
        "apply_ms": ms(apply_s),
        "apply_queries": apply_queries,
        "apply_audit_events": apply_events,
        "edit_reaching_all_ms": ms(edit_s),
        "apply_again_ms": ms(again_s),
        "baseline_create_check_one_by_one_ms": ms(one_by_one_s),
        "baseline_audit_events": one_by_one_events,
        "apply_vs_baseline": round(apply_s / one_by_one_s, 3),
    }
    report(figures, 36, {"benchmark": "check_templates", "database": connection.vendor})


if __name__ == "__main__":
    main()
