"""The report's flow (Art. 6): opened as a draft, generated in the background to ready (files stored with
their SHA-256) or failed with the reason and retried, the lead's text with its version, signing by the
right person with a fresh factor, frozen once signed, corrections as new versions, and bad input refused
naming the field with nothing half-written."""

import datetime
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from yunwei.audit.models import AuditEvent
from yunwei.core.errors import DomainError, PermissionDenied, StaleEdit, TransitionNotAllowed
from yunwei.incidents.models import Incident
from yunwei.reports import services
from yunwei.reports.models import RenderSlot, Report, ReportFile, ReportTemplate

from ..conftest import PASSWORD, make_user
from .conftest import FEBRUARY, at

pytestmark = pytest.mark.django_db


def _incident(unit, title="甲故障", day=10, **fields):
    return Incident.objects.create(
        unit=unit,
        title=title,
        impact_scope="one_unit",
        started_at=at(FEBRUARY.replace(day=day)),
        reported_at=at(FEBRUARY.replace(day=day)),
        grade=fields.pop("grade", "III"),
        cause_category="server",
        **fields,
    )


def generated(unit, actor, month="2026-02") -> Report:
    report = services.open_report(unit, month, actor=actor)
    services.request_generation(report, actor=actor)  # eager: runs at commit
    report.refresh_from_db()
    return report


@pytest.fixture
def ready_a(unit_a, lead_a, django_capture_on_commit_callbacks):
    _incident(unit_a)
    with django_capture_on_commit_callbacks(execute=True):
        report = services.open_report(unit_a, "2026-02", actor=lead_a)
        services.request_generation(report, actor=lead_a)
    report.refresh_from_db()
    return report


def test_generation_reads_the_figures_and_stores_three_files(ready_a):
    assert ready_a.state == "ready" and ready_a.progress == 100
    assert ready_a.figures["incidents"]["total"] == 1
    assert ready_a.figures["month"] == "2026-02"
    files = {f.format: f for f in ReportFile.objects.filter(report=ready_a)}
    assert set(files) == {"docx", "pdf", "xlsx"}
    for stored in files.values():
        content = stored.file.open("rb").read()
        assert hashlib.sha256(content).hexdigest() == stored.sha256 and len(content) == stored.size
    assert ready_a.events.filter(to_state="ready").exists()
    assert not RenderSlot.objects.filter(report__isnull=False).exists()  # the slot is given back


def test_generating_twice_at_once_is_refused_naming_the_running_one(unit_a, lead_a):
    report = services.open_report(unit_a, "2026-02", actor=lead_a)
    services.request_generation(report, actor=lead_a)  # queued; the task runs only at commit
    with pytest.raises(TransitionNotAllowed) as refused:
        services.request_generation(report, actor=lead_a)
    assert refused.value.field == "state" and "being generated already" in refused.value.message
    assert refused.value.status_code == 409


def test_a_failure_says_why_and_can_be_retried(
    unit_a, lead_a, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(services.figures, "compute", broken)
    with django_capture_on_commit_callbacks(execute=True):
        report = services.open_report(unit_a, "2026-02", actor=lead_a)
        services.request_generation(report, actor=lead_a)
    report.refresh_from_db()
    assert report.state == "failed" and report.failure == "磁盘已满"
    assert not ReportFile.objects.filter(report=report).exists()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.request_generation(report, actor=lead_a)
    report.refresh_from_db()
    assert report.state == "ready" and report.failure == ""


def test_with_every_render_slot_taken_a_report_waits_queued(unit_a, lead_a, settings):
    settings.REPORT_RENDERS = 1
    report = services.open_report(unit_a, "2026-02", actor=lead_a)
    services.request_generation(report, actor=lead_a)
    other = services.open_report(unit_a, "2026-01", actor=lead_a)
    RenderSlot.objects.update_or_create(
        pk=1, defaults={"report": other, "taken_at": at(FEBRUARY.replace(day=28))}
    )
    # Taken longer ago than the time limit: the slot is taken back.
    assert services.execute(report.pk) == "done"
    report2 = services.open_report(unit_a, "2025-12", actor=lead_a)
    services.request_generation(report2, actor=lead_a)
    from django.utils import timezone

    RenderSlot.objects.filter(pk=1).update(report=other, taken_at=timezone.now())
    assert services.execute(report2.pk) == "waiting"
    report2.refresh_from_db()
    assert report2.state == "generating" and report2.progress == 0 and "Queued" in report2.step


def test_the_month_is_checked_naming_month(unit_a, lead_a):
    for bad in ("2026-13", "march", "", "2027-01"):
        with pytest.raises(DomainError) as refused:
            services.open_report(unit_a, bad, actor=lead_a)
        assert refused.value.field == "month"
    assert not Report.objects.exists()


def test_a_unit_admin_of_another_unit_may_not_open_the_report(unit_a, unit_admin_b):
    with pytest.raises(PermissionDenied):
        services.open_report(unit_a, "2026-02", actor=unit_admin_b)
    assert not Report.objects.exists()


def test_the_leads_text_carries_its_version(ready_a, lead_a):
    saved = services.save_text(
        ready_a,
        actor=lead_a,
        analysis="本月运行平稳。",
        plan="下月升级OA。",
        expected_version=ready_a.version,
    )
    assert (saved.analysis, saved.plan) == ("本月运行平稳。", "下月升级OA。")
    # The files made before the text changed are dropped: made again from the new text when asked for.
    assert not ReportFile.objects.filter(report=ready_a).exists()
    with pytest.raises(StaleEdit) as refused:
        services.save_text(ready_a, actor=lead_a, analysis="覆盖", plan="", expected_version=ready_a.version)
    assert refused.value.field == "version"
    saved.refresh_from_db()
    assert saved.analysis == "本月运行平稳。"
    with pytest.raises(DomainError) as refused:
        services.save_text(
            saved, actor=lead_a, analysis="长" * 20_001, plan="", expected_version=saved.version
        )
    assert refused.value.field == "analysis"


def test_only_a_system_management_lead_writes_and_signs(ready_a, tech_a, unit_admin_a, group_lead):
    for outsider in (tech_a, unit_admin_a):
        with pytest.raises(PermissionDenied):
            services.save_text(
                ready_a, actor=outsider, analysis="x", plan="", expected_version=ready_a.version
            )
        with pytest.raises(PermissionDenied):
            services.sign(ready_a, actor=outsider, password=PASSWORD)
    ready_a.refresh_from_db()
    assert ready_a.state == "ready" and ready_a.analysis == ""
    # The group's lead signs a unit's report too, as the log book's review decides.
    assert services.is_lead_for(group_lead, ready_a.unit)


def test_a_lead_of_another_unit_may_not_sign(ready_a, unit_b):
    lead_b = make_user("b-lead", unit_b, "system_lead")
    with pytest.raises(PermissionDenied):
        services.sign(ready_a, actor=lead_b, password=PASSWORD)


@pytest.mark.parametrize(("password", "field"), [("", "password"), ("wrong-password", "password")])
def test_signing_needs_the_fresh_password(ready_a, lead_a, password, field):
    with pytest.raises(DomainError) as refused:
        services.sign(ready_a, actor=lead_a, password=password)
    assert refused.value.field == field
    ready_a.refresh_from_db()
    assert ready_a.state == "ready" and ready_a.signed_at is None


def test_with_a_totp_device_signing_needs_a_fresh_code(ready_a, lead_a):
    device = TOTPDevice.objects.create(user=lead_a, name="phone", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    with pytest.raises(DomainError) as refused:
        services.sign(ready_a, actor=lead_a, password=PASSWORD)
    assert refused.value.field == "otp"
    assert device.verify_token(code)  # used once: stale now
    with pytest.raises(DomainError, match="wrong or was used already"):
        services.sign(ready_a, actor=lead_a, otp=code)
    device.refresh_from_db()
    device.last_t -= 1
    device.save()
    assert services.sign(ready_a, actor=lead_a, otp=code).state == "signed"


def test_a_draft_is_not_signed(unit_a, lead_a):
    report = services.open_report(unit_a, "2026-02", actor=lead_a)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.sign(report, actor=lead_a, password=PASSWORD)
    assert refused.value.field == "state"


def test_signed_is_frozen_whatever_the_data_does_later(
    ready_a, lead_a, unit_a, django_capture_on_commit_callbacks
):
    services.save_text(ready_a, actor=lead_a, analysis="平稳", plan="升级", expected_version=ready_a.version)
    ready_a.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        signed = services.sign(ready_a, actor=lead_a, password=PASSWORD)
    assert signed.state == "signed" and signed.signed_by == lead_a and signed.signed_by_name == "甲负责人"
    event = AuditEvent.objects.filter(action="transition", object_id=str(signed.pk)).order_by("pk").last()
    assert event.after["state"] == "signed" and event.actor_id == lead_a.pk
    files = {f.format: (f.sha256, f.size) for f in ReportFile.objects.filter(report=signed)}
    assert set(files) == {"docx", "pdf", "xlsx"}
    figures_before = Report.objects.get(pk=signed.pk).figures
    # The data changes: more incidents of February, one deleted.
    for n in range(3):
        _incident(unit_a, title=f"后补{n}", day=20 + n)
    Incident.objects.filter(title="甲故障").delete()
    signed.refresh_from_db()
    assert signed.figures == figures_before and signed.figures["incidents"]["total"] == 1
    assert {f.format: (f.sha256, f.size) for f in ReportFile.objects.filter(report=signed)} == files
    for fmt in ("docx", "pdf", "xlsx"):
        assert services.file_of(signed, fmt).sha256 == files[fmt][0]
    # Nothing edits it any more.
    with pytest.raises(TransitionNotAllowed):
        services.save_text(signed, actor=lead_a, analysis="改", plan="", expected_version=signed.version)
    with pytest.raises(TransitionNotAllowed):
        services.request_generation(signed, actor=lead_a)
    with pytest.raises(TransitionNotAllowed):
        services.sign(signed, actor=lead_a, password=PASSWORD)


def test_a_correction_is_a_new_version_and_marks_the_old_superseded(
    ready_a, lead_a, unit_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.sign(ready_a, actor=lead_a, password=PASSWORD)
    correction = services.correct(first, actor=lead_a)
    assert (correction.edition, correction.state) == (2, "draft")
    with pytest.raises(TransitionNotAllowed) as refused:
        services.correct(first, actor=lead_a)
    assert refused.value.field == "edition"
    # The month is opened again: the newest version is found.
    assert services.open_report(unit_a, "2026-02", actor=lead_a).pk == correction.pk
    _incident(unit_a, title="补录", day=25)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_generation(correction, actor=lead_a)
    correction.refresh_from_db()
    assert correction.figures["incidents"]["total"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.sign(correction, actor=lead_a, password=PASSWORD)
    first.refresh_from_db()
    assert first.state == "superseded" and first.superseded_by_id == correction.pk
    assert first.figures["incidents"]["total"] == 1  # the old version is kept as it was signed
    assert ReportFile.objects.filter(report=first).count() == 3


def test_the_groups_report_counts_every_unit_and_is_the_groups_leads(
    unit_a, unit_b, group_admin, group_lead, lead_a, django_capture_on_commit_callbacks
):
    _incident(unit_a)
    _incident(unit_b, title="乙故障")
    with django_capture_on_commit_callbacks(execute=True):
        report = services.open_report(None, "2026-02", actor=group_admin)
        services.request_generation(report, actor=group_admin)
    report.refresh_from_db()
    assert report.unit is None and report.figures["incidents"]["total"] == 2
    assert report.figures["incidents"]["by_unit"] == {unit_a.name: 1, unit_b.name: 1}
    with pytest.raises(PermissionDenied):
        services.sign(report, actor=lead_a, password=PASSWORD)
    with pytest.raises(PermissionDenied):
        services.open_report(None, "2026-02", actor=lead_a)
    assert services.sign(report, actor=group_lead, password=PASSWORD).state == "signed"


def _docx_bytes() -> bytes:
    import io

    from docx import Document

    buffer = io.BytesIO()
    document = Document()
    document.add_paragraph("集团模板")
    document.save(buffer)
    return buffer.getvalue()


def test_a_group_admin_uploads_a_template_that_the_docx_uses(group, group_admin):
    content = _docx_bytes()
    kept = services.upload_template(SimpleUploadedFile("集团模板.docx", content), actor=group_admin)
    assert kept.sha256 == hashlib.sha256(content).hexdigest() and kept.is_active
    assert services.active_template() == kept


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("报告.pdf", b"%PDF-1.4", ".docx"),
        ("报告.docx", b"not a zip at all", "not a zip"),
        ("报告.docx", b"", "Choose a file"),
    ],
)
def test_a_bad_template_is_refused_naming_file(group, group_admin, name, content, words):
    with pytest.raises(DomainError) as refused:
        services.upload_template(SimpleUploadedFile(name, content), actor=group_admin)
    assert refused.value.field == "file" and words in refused.value.message
    assert not ReportTemplate.objects.exists()


def test_a_too_large_template_is_refused(group, group_admin, settings):
    settings.REPORT_TEMPLATE_LIMIT = 100
    with pytest.raises(DomainError) as refused:
        services.upload_template(SimpleUploadedFile("大.docx", _docx_bytes()), actor=group_admin)
    assert refused.value.field == "file" and "larger than 100 bytes" in refused.value.message


def test_a_template_with_an_error_names_where(group, group_admin):
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(_docx_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as broken:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"</w:body>", b"<w:p>{{ unclosed </w:p></w:body>")
            broken.writestr(item, data)
    with pytest.raises(DomainError) as refused:
        services.upload_template(SimpleUploadedFile("坏.docx", buffer.getvalue()), actor=group_admin)
    assert refused.value.field == "file" and "error" in refused.value.message
    assert not ReportTemplate.objects.exists()


def test_only_a_group_admin_uploads_a_template(group, unit_admin_a):
    with pytest.raises(PermissionDenied):
        services.upload_template(SimpleUploadedFile("t.docx", _docx_bytes()), actor=unit_admin_a)


def test_the_dashboards_card_says_issued_or_not(
    unit_a, unit_b, ready_a, lead_a, django_capture_on_commit_callbacks
):
    from yunwei.org.models import Unit

    with django_capture_on_commit_callbacks(execute=True):
        services.sign(ready_a, actor=lead_a, password=PASSWORD)
    card = services.issued_last_month(
        Unit.objects.filter(pk__in=[unit_a.pk, unit_b.pk]), today=datetime.date(2026, 3, 15)
    )
    assert card["month"] == FEBRUARY
    assert [(unit.code, report.state if report else None) for unit, report in card["rows"]] == [
        ("unit-a", "signed"),
        ("unit-b", None),
    ]
