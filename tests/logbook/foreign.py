"""The log books' foreign-unit cases, merged into tests/test_foreign_unit.py."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yunwei.logbook import services
from yunwei.org import services as org
from yunwei.org.choices import Role
from yunwei.org.models import Team

from ..conftest import make_user

CASES: dict[str, tuple[str, str]] = {
    "api:logbook:note-list": ("list", "logbook_note"),
    "api:logbook:note-detail": ("detail", "logbook_note"),
    "api:logbook:backup-list": ("list", "logbook_backup"),
    "api:logbook:backup-detail": ("detail", "logbook_backup"),
    "api:logbook:drill-list": ("list", "logbook_drill"),
    "api:logbook:drill-detail": ("detail", "logbook_drill"),
    "api:logbook:template-list": ("list", "logbook_template"),
    "api:logbook:template-detail": ("get", "logbook_template"),
    "api:logbook:template-retire": ("post", "logbook_template"),
    "api:logbook:round-list": ("list", "logbook_round"),
    "api:logbook:round-detail": ("get", "logbook_round"),
    "api:logbook:reading-detail": ("get", "logbook_reading"),
    "api:logbook:reading-escalate": ("post", "logbook_reading"),
    "api:logbook:attachment-list": ("list", "logbook_attachment"),
    "api:logbook:attachment-detail": ("get", "logbook_attachment"),
    "api:logbook:review-list": ("list", "logbook_review"),
    "api:logbook:review-detail": ("get", "logbook_review"),
    "api:logbook:review-confirm": ("post", "logbook_review"),
    "api:logbook:review-findings": ("post", "logbook_review"),
    "api:logbook:review-sign": ("post", "logbook_review"),
    "api:logbook:finding-list": ("list", "logbook_finding"),
    "api:logbook:finding-detail": ("get", "logbook_finding"),
    "api:logbook:finding-rectify": ("post", "logbook_finding"),
    "api:logbook:rectification-list": ("list", "logbook_rectification"),
    "api:logbook:rectification-detail": ("get", "logbook_rectification"),
    "api:logbook:rectification-transition": ("post", "logbook_rectification"),
    "logbook:index": ("page-list", "unit"),
    "logbook:month": ("page", "unit"),
    "logbook:note-create": ("page", "unit"),
    "logbook:backup-create": ("page", "unit"),
    "logbook:drill-create": ("page", "unit"),
    "logbook:review": ("page", "unit"),
    "logbook:review-confirm": ("page-post", "unit"),
    "logbook:review-finding": ("page-post", "unit"),
    "logbook:review-sign": ("page-post", "unit"),
    "logbook:note-edit": ("page", "logbook_note"),
    "logbook:backup-edit": ("page", "logbook_backup"),
    "logbook:drill-edit": ("page", "logbook_drill"),
    "logbook:note-attach": ("page-post", "logbook_note"),
    "logbook:backup-attach": ("page-post", "logbook_backup"),
    "logbook:drill-attach": ("page-post", "logbook_drill"),
    "logbook:attachment": ("get", "logbook_attachment"),
    "logbook:template-list": ("page-list", "logbook_template"),
    "logbook:template-detail": ("page", "logbook_template"),
    "logbook:template-qr": ("get", "logbook_template"),
    "logbook:template-edit": ("page", "logbook_template"),
    "logbook:template-retire": ("page-post", "logbook_template"),
    "logbook:round-walk": ("page", "logbook_template"),
    "logbook:round-detail": ("page", "logbook_round"),
    "logbook:reading-escalate": ("page-post", "logbook_reading"),
    "logbook:finding-rectify": ("page-post", "logbook_finding"),
    "logbook:rectification-list": ("page-list", "logbook_rectification"),
    "logbook:rectification-detail": ("page", "logbook_rectification"),
    "logbook:rectification-transition": ("page-post", "logbook_rectification"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "api:logbook:month": "names the unit in ?unit=: another unit's answers 404 (tests/logbook/test_api.py)",
    "api:logbook:review-open": "names the unit in its body: another unit's is refused as missing, 400 naming "
    "unit (tests/logbook/test_api.py)",
    "logbook:template-create": "a form; other units are not among its choices",
}
DETAIL_PAGES: dict[str, str] = {
    "logbook_template": "logbook:template-detail",
    "logbook_rectification": "logbook:rectification-detail",
}


def build_records(unit, actor) -> dict:
    """One record of each kind in `unit`, through the services (`actor` is a group admin): a note, a manual
    backup, a restore drill, a round template walked with a reading out of limits, an attachment, last
    month's review with a finding turned into a rectification."""
    lead = make_user(f"{unit.code}-logbook-lead", unit.parent, Role.SYSTEM_LEAD)
    tech = make_user(f"{unit.code}-logbook-tech", unit, Role.TECH_STAFF)
    team = org.create(Team, actor=actor, unit=unit, code="logbook-room", name="甲有线科")
    yesterday = timezone.now() - datetime.timedelta(days=1)
    note = services.record_note(actor=actor, unit=unit, occurred_at=yesterday, kind="handover", text="甲交班")
    backup = services.record_backup(
        actor=actor, unit=unit, occurred_at=yesterday, subject="甲备份", target="甲磁带"
    )
    drill = services.record_drill(
        actor=actor,
        unit=unit,
        occurred_at=yesterday,
        subject="甲恢复演练",
        restored_to="甲测试机",
        duration_minutes=30,
        outcome="passed",
        performed_by=tech.person,
        verified_by=actor.person,
    )
    template = services.create_template(
        actor=actor,
        unit=unit,
        team=team,
        name="甲机房巡检",
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        checkpoints=[{"label": "温度", "kind": "number", "low": 18, "high": 27}],
    )
    round_ = services.record_round(
        actor=actor,
        template=template,
        occurred_at=yesterday,
        performed_by=tech.person,
        readings={template.checkpoints.get().pk: "35"},
    )
    attachment = services.attach(note, SimpleUploadedFile("甲照片.txt", b"reading photo"), actor=actor)
    last_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    review = services.open_review(unit, last_month, actor=lead)
    finding = services.add_finding(review, log="daily", text="甲发现", actor=lead)
    rect = services.rectify(
        finding, actor=lead, owner=tech.person, deadline=timezone.localdate() + datetime.timedelta(days=7)
    )
    return {
        "logbook_note": note,
        "logbook_backup": backup,
        "logbook_drill": drill,
        "logbook_template": template,
        "logbook_round": round_,
        "logbook_reading": round_.readings.get(),
        "logbook_attachment": attachment,
        "logbook_review": review,
        "logbook_finding": finding,
        "logbook_rectification": rect,
    }
