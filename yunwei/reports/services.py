"""Every act on the monthly report goes through here (Art. 6): pages, API, tasks and the demo alike.

A report follows `ALLOWED_TRANSITIONS`: opened as a draft; generated in the background (figures read from
the records and stored, the files rendered) to ready, or failed with the reason and tried again; the lead
writes the analysis and next month's plan (with `version`: a concurrent edit is refused) and signs with a
fresh password or TOTP code. Signed, the report is frozen: its figures are those stored, its files rendered
once from them; a correction is the next edition, and signing it marks the old one superseded.

Who: the unit's staff and admins open and generate a unit's report; the group's admins and staff the
group's. Writing the text and signing belong to a system management lead of the unit or of its group, as
the log book's monthly review decides (`logbook.services.is_lead_for`); the group's report to a lead of the
group.
"""

import datetime
import hashlib
import io
import logging
import time
import zipfile

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.accounts.services import check_fresh_factor
from yunwei.audit import services as audit
from yunwei.core import records
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.core.scoping import access_of
from yunwei.logbook import services as logbook
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Unit

from . import build, figures
from .choices import ALLOWED_TRANSITIONS, EDITABLE_STATES, EventKind, Format, State
from .models import RenderSlot, Report, ReportEvent, ReportFile, ReportTemplate

log = logging.getLogger(__name__)

TEXT_MAX = 20_000
# Progress: reading the figures takes the first part, each file a share of the rest.
FIGURES_SHARE = 40


class Busy(TransitionNotAllowed):
    """The report is being generated already: a second generation is refused (409)."""


# -- who may act -----------------------------------------------------------------------------------


def may_handle(actor, unit: Unit | None) -> bool:
    """Opens and generates the report: the unit's admins and staff; the group's report, the group's."""
    access = access_of(actor)
    if unit is None:
        return access.is_group_admin or access.is_group_staff
    return access.can_handle_unit(unit.pk)


def is_lead_for(actor, unit: Unit | None) -> bool:
    """A system management lead of the unit or of its group (the log book's rule); the group's report:
    a lead posted at the group."""
    if unit is not None:
        return logbook.is_lead_for(actor, unit)
    return any(
        role == Role.SYSTEM_LEAD and kind == UnitKind.GROUP for role, _u, kind in access_of(actor).roles
    )


def require_lead(actor, unit: Unit | None) -> None:
    if not is_lead_for(actor, unit):
        raise PermissionDenied(
            _("Only a system management lead writes and signs the monthly report (Art. 6).")
        )


def parse_month(value, *, today: datetime.date | None = None) -> datetime.date:
    """'2025-03' → 2025-03-01; malformed or in the future → refused naming `month`."""
    if value in (None, ""):
        raise DomainError(_("Give the month as YYYY-MM."), field="month")
    month = logbook.parse_month(value, today=today)
    if month.year < 2000:
        raise DomainError(_("Give the month as YYYY-MM."), field="month")
    return month


def _event(report, kind, *, actor, **details) -> ReportEvent:
    return records.append_event(ReportEvent, {"report": report}, kind, actor=actor, **details)


def _move(report: Report, to: str, *, actor, comment: str = "", **shown) -> None:
    """The state change with its timeline entry; audited when a person made it (machine work is not)."""
    source = report.state
    if to not in ALLOWED_TRANSITIONS[source]:
        raise TransitionNotAllowed(
            _("A report in the state “%(state)s” cannot become “%(to)s”.")
            % {"state": State(source).label, "to": State(to).label},
            field="state",
        )
    report.state = to
    if actor is not None:
        records.log_transition(
            ReportEvent, {"report": report}, report, source, to, actor=actor, comment=comment, **shown
        )
    else:
        records.append_event(
            ReportEvent,
            {"report": report},
            EventKind.TRANSITION,
            actor=None,
            comment=comment,
            from_state=source,
            to_state=to,
        )


# -- opening and versions ----------------------------------------------------------------------------


def current(unit: Unit | None, month: datetime.date) -> Report | None:
    """The newest edition of the unit's (or the group's) report of the month."""
    return Report.objects.filter(unit=unit, month=month).order_by("-edition").first()


@transaction.atomic
def open_report(unit: Unit | None, month, *, actor) -> Report:
    """The month's report of the unit (None: the group), opened as a draft on first use."""
    month = parse_month(month)
    if not may_handle(actor, unit):
        raise PermissionDenied(_("You may not open this unit's monthly report."))
    if unit is not None:
        Unit.objects.select_for_update().get(pk=unit.pk)  # two first openings at once make one report
    existing = current(unit, month)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            report = Report.objects.create(unit=unit, month=month, edition=1)
    except IntegrityError:
        return current(unit, month)
    _event(report, EventKind.CREATED, actor=actor, to_state=State.DRAFT)
    audit.record("create", actor=actor, obj=report, after={"month": f"{month:%Y-%m}", "edition": 1})
    return report


@transaction.atomic
def correct(report: Report, *, actor) -> Report:
    """A correction of a signed report: the next edition, a draft carrying the lead's text over. The signed
    one stays in force until the correction is signed, then it is marked superseded."""
    require_lead(actor, report.unit)
    locked = records.lock(Report.objects, report.pk)
    if locked.state != State.SIGNED:
        raise TransitionNotAllowed(_("Only a signed report is corrected by a new version."), field="state")
    newest = Report.objects.filter(unit=locked.unit_id, month=locked.month).aggregate(n=Max("edition"))["n"]
    if newest != locked.edition:
        raise TransitionNotAllowed(
            _("Version %(n)s of this report is open already.") % {"n": newest}, field="edition"
        )
    correction = Report.objects.create(
        unit=locked.unit,
        month=locked.month,
        edition=locked.edition + 1,
        analysis=locked.analysis,
        plan=locked.plan,
    )
    _event(correction, EventKind.CORRECTION, actor=actor, to_state=State.DRAFT, corrects=locked.pk)
    audit.record(
        "create", actor=actor, obj=correction, after={"corrects": locked.pk, "edition": correction.edition}
    )
    return correction


# -- the lead's text -----------------------------------------------------------------------------------


def _clean_text(value, field: str) -> str:
    text = (value or "").strip()
    if len(text) > TEXT_MAX:
        raise DomainError(_("At most %(count)s characters.") % {"count": TEXT_MAX}, field=field)
    return text


@transaction.atomic
def save_text(report: Report, *, actor, analysis, plan, expected_version: int | None = None) -> Report:
    """The lead's analysis and next month's plan (Art. 6). The files rendered before are dropped: they are
    made again from the new text when next asked for."""
    require_lead(actor, report.unit)
    analysis, plan = _clean_text(analysis, "analysis"), _clean_text(plan, "plan")
    locked = records.lock(Report.objects, report.pk, expected_version)
    if locked.state not in EDITABLE_STATES:
        raise TransitionNotAllowed(
            _("The report is signed and kept as signed; open a new version to correct it.")
            if locked.is_frozen
            else _("The report is being generated; write once it is done."),
            field="state",
        )
    before = {"analysis": locked.analysis, "plan": locked.plan}
    locked.analysis, locked.plan = analysis, plan
    records.save_version(locked, "analysis", "plan")
    _drop_files(locked)
    _event(locked, EventKind.TEXT, actor=actor)
    changed_before, changed_after = audit.diff(before, {"analysis": analysis, "plan": plan})
    if changed_after:
        audit.record("update", actor=actor, obj=locked, before=changed_before, after=changed_after)
    return locked


# -- generation --------------------------------------------------------------------------------------


@transaction.atomic
def request_generation(
    report: Report, *, actor, expected_version: int | None = None, queue: bool = True
) -> Report:
    """Queue the report's generation (a draft, a failed one again, or a ready one with newer data). A
    report being generated already is refused naming the running generation (409). `queue=False` leaves
    the running to the caller (`execute`: the demo, the benchmark)."""
    if not may_handle(actor, report.unit):
        raise PermissionDenied(_("You may not generate this unit's monthly report."))
    locked = records.lock(Report.objects, report.pk, expected_version)
    if locked.state == State.GENERATING:
        raise Busy(
            _("This report is being generated already (asked at %(at)s, %(progress)s%% done); wait for it.")
            % {
                "at": timezone.localtime(locked.queued_at).strftime("%Y-%m-%d %H:%M:%S")
                if locked.queued_at
                else "—",
                "progress": locked.progress,
            },
            field="state",
        )
    if locked.is_frozen:
        raise TransitionNotAllowed(
            _("The report is signed and kept as signed; open a new version to correct it."), field="state"
        )
    _move(locked, State.GENERATING, actor=actor)
    now = timezone.now()
    locked.progress, locked.step, locked.failure = 0, str(_("Queued")), ""
    locked.requested_by, locked.queued_at, locked.started_at, locked.finished_at = actor, now, None, None
    records.save_version(
        locked,
        "state",
        "progress",
        "step",
        "failure",
        "requested_by",
        "queued_at",
        "started_at",
        "finished_at",
    )
    from . import tasks  # tasks import this module: the task is named here only to queue it

    if queue:
        transaction.on_commit(lambda: tasks.generate_report.delay(locked.pk), robust=True)
    return locked


def _claim_slot(report_id: int, now: datetime.datetime) -> int | None:
    """One of the REPORT_RENDERS slots, or None when all are taken; one held past the time limit is
    taken back (its worker died). Claimed by a conditional update, safe with several workers."""
    limit = max(1, settings.REPORT_RENDERS)
    for number in range(1, limit + 1):
        RenderSlot.objects.get_or_create(pk=number)
    free = Q(report__isnull=True) | Q(
        taken_at__lt=now - datetime.timedelta(seconds=settings.REPORT_TIME_LIMIT)
    )
    for slot_id in RenderSlot.objects.filter(free, pk__lte=limit).values_list("pk", flat=True):
        if RenderSlot.objects.filter(free, pk=slot_id).update(report_id=report_id, taken_at=now):
            return slot_id
    return None


# The worker's hard limit is the soft one plus this (tasks.py): a claim older than both was a killed
# worker's, and a redelivered task takes the work again.
HARD_LIMIT_MARGIN = 30


def _dead_before(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(seconds=settings.REPORT_TIME_LIMIT + HARD_LIMIT_MARGIN)


def _claim_generation(report_id: int, now: datetime.datetime) -> bool:
    """One generation per request: a second task (the requeue sweep's, a late original) finds it started."""
    not_started = Q(started_at__isnull=True) | Q(started_at__lt=_dead_before(now))
    claimed = Report.objects.filter(not_started, pk=report_id, state=State.GENERATING).update(started_at=now)
    return claimed == 1


def _progress(report_id: int, percent: int, step: str) -> None:
    Report.objects.filter(pk=report_id, state=State.GENERATING).update(
        progress=min(100, percent), step=step[:200]
    )


class TimeLimit(Exception):
    pass


def execute(report_id: int, *, now: datetime.datetime | None = None, render_files: bool = True) -> str:
    """Generate a queued report in the worker: read the figures, render the files, store them; "done",
    "failed", "gone" (nothing to do), or "waiting" when every render slot is taken (the task asks again).
    Without `render_files` the files are made at their first download, from the stored figures."""
    report = Report.objects.select_related("unit").filter(pk=report_id, state=State.GENERATING).first()
    if report is None:
        return "gone"
    slot = _claim_slot(report_id, timezone.now())
    if slot is None:
        # updated_at says a task still waits on it, so the requeue sweep leaves it alone.
        Report.objects.filter(pk=report_id, state=State.GENERATING).update(
            progress=0, step=str(_("Queued: other reports are being generated")), updated_at=timezone.now()
        )
        return "waiting"
    if not _claim_generation(report_id, timezone.now()):
        RenderSlot.objects.filter(pk=slot, report_id=report_id).update(report=None, taken_at=None)
        return "gone"
    began = time.monotonic()
    limit = settings.REPORT_TIME_LIMIT

    def check_time():
        if time.monotonic() - began > limit:
            raise TimeLimit(_("Generation took longer than %(limit)s seconds.") % {"limit": limit})

    try:

        def told(step, done):
            check_time()
            _progress(
                report_id,
                done * FIGURES_SHARE // len(figures.STEPS),
                str(_("Reading figures: %(step)s") % {"step": step}),
            )

        computed = figures.compute(report.unit, report.month, now=now, progress=told)
        report.figures = audit.json_safe(computed)
        files, warnings = {}, []
        for position, fmt in enumerate(Format if render_files else [], start=0):
            check_time()
            _progress(
                report_id,
                FIGURES_SHARE + position * (100 - FIGURES_SHARE) // len(Format),
                str(_("Rendering %(format)s") % {"format": fmt.label}),
            )
            files[fmt.value], more = _render(report, fmt.value)
            warnings.extend(more)
        check_time()
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=report_id)
            if locked.state != State.GENERATING:
                return "gone"
            locked.figures, locked.figures_at, locked.log = report.figures, timezone.now(), warnings
            locked.progress, locked.step, locked.finished_at = 100, "", timezone.now()
            _move(locked, State.READY, actor=None)
            records.save_version(
                locked, "state", "figures", "figures_at", "log", "progress", "step", "finished_at"
            )
            _drop_files(locked)
            for fmt, content in files.items():
                _store(locked, fmt, content)
        return "done"
    except Exception as exc:  # noqa: BLE001 - any failure is the report's, said on its page and retried by hand
        log.exception("report %s failed", report_id)
        reason = str(exc) or exc.__class__.__name__
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=report_id)
            if locked.state == State.GENERATING:
                locked.failure, locked.finished_at, locked.step = reason[:2000], timezone.now(), ""
                _move(locked, State.FAILED, actor=None, comment=reason[:2000])
                records.save_version(locked, "state", "failure", "finished_at", "step")
        return "failed"
    finally:
        RenderSlot.objects.filter(pk=slot, report_id=report_id).update(report=None, taken_at=None)


# -- files --------------------------------------------------------------------------------------------


def active_template() -> ReportTemplate | None:
    return ReportTemplate.objects.filter(is_active=True).order_by("-uploaded_at", "-id").first()


def _template_bytes() -> bytes | None:
    template = active_template()
    if template is None:
        return None
    with template.file.open("rb") as handle:
        return handle.read()


def _renderers():
    # The renderers (python-docx, ReportLab, matplotlib, openpyxl) load on first use, in the worker, not
    # with every page of the product.
    from . import render

    return render


def _render(report: Report, fmt: str) -> tuple[bytes, list[str]]:
    """One file of the report, from what is stored on it (figures, text, signature)."""
    render = _renderers()
    doc = build.document(report)
    if fmt == Format.DOCX:
        return render.render_docx(doc, template=_template_bytes()), []
    if fmt == Format.PDF:
        content, warnings = render.render_pdf(doc)
        return content, [str(w) for w in warnings]
    return render.render_xlsx(doc), []


def _file_name(report: Report, fmt: str) -> str:
    unit = report.unit.code if report.unit_id else "group"
    return f"report-{unit}-{report.month:%Y-%m}-v{report.edition}.{fmt}"


def _store(report: Report, fmt: str, content: bytes) -> ReportFile:
    stored = ReportFile(
        report=report,
        format=fmt,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        made_at=timezone.now(),
    )
    stored.file.save(_file_name(report, fmt), ContentFile(content), save=False)
    stored.save()
    return stored


def _drop_files(report: Report) -> None:
    """An unsigned report's files, made from text or figures that changed; a signed one's are kept."""
    if report.is_frozen:
        return
    for stored in ReportFile.objects.filter(report=report):
        stored.file.delete(save=False)
        stored.delete()


def file_of(report: Report, fmt: str) -> ReportFile:
    """The report's file in a format: the one stored, else rendered now from what is stored on the report
    (a signed report's, once: then kept as it is). A report not generated yet has none (409)."""
    if fmt not in Format.values:
        raise DomainError(_("Choose .docx, .pdf or .xlsx."), field="format")
    found = ReportFile.objects.filter(report=report, format=fmt).first()
    if found is not None:
        return found
    if report.state not in (State.READY, State.SIGNED, State.SUPERSEDED) or not report.figures:
        raise TransitionNotAllowed(_("The report has no files until it is generated."), field="state")
    content, warnings = _render(report, fmt)
    try:
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=report.pk)
            found = ReportFile.objects.filter(report=locked, format=fmt).first()
            if found is not None:
                return found
            if warnings:
                locked.log = [*locked.log, *[w for w in warnings if w not in locked.log]]
                locked.save(update_fields=["log"])
            return _store(locked, fmt, content)
    except IntegrityError:
        return ReportFile.objects.get(report=report, format=fmt)


def waiting_generations(since: datetime.datetime):
    """Reports queued for generation before `since` and not taken up since (nor waiting on a slot)."""
    return Report.objects.filter(state=State.GENERATING, started_at__isnull=True, updated_at__lt=since)


def waiting_signed_files(since: datetime.datetime):
    """Reports signed before `since` whose files' rendering no task has taken up."""
    return Report.objects.filter(state=State.SIGNED, signed_at__lt=since, files_taken_at__isnull=True)


def render_signed_files(report_id: int) -> int:
    """The files of a signed report, rendered once from what was signed; returns how many were made.
    Claimed once, so a second task (the requeue sweep's, a late original) makes none."""
    now = timezone.now()
    untaken = Q(files_taken_at__isnull=True) | Q(files_taken_at__lt=_dead_before(now))
    if not Report.objects.filter(untaken, pk=report_id, state=State.SIGNED).update(files_taken_at=now):
        return 0
    report = Report.objects.select_related("unit").get(pk=report_id)
    made = 0
    try:
        for fmt in Format.values:
            if not ReportFile.objects.filter(report=report, format=fmt).exists():
                file_of(report, fmt)
                made += 1
    except Exception:
        # Given back, so the task's retry (or the sweep) renders what is missing.
        Report.objects.filter(pk=report_id, files_taken_at=now).update(files_taken_at=None)
        raise
    return made


# -- signing ------------------------------------------------------------------------------------------


def sign_refusal(report: Report) -> str | None:
    if report.is_frozen:
        return _("The report is signed already.")
    if report.state != State.READY:
        return _("Generate the report first; it is signed once it is ready.")
    return None


@transaction.atomic
def sign(
    report: Report,
    *,
    actor,
    password: str = "",
    otp: str = "",
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
    render_files: bool = True,
) -> Report:
    """Sign the report (Art. 6): the lead, a ready report, a fresh password or TOTP code. The figures
    stored are then the report's for good; its files are rendered once from them and kept. A correction
    signed marks the version it corrects superseded."""
    require_lead(actor, report.unit)
    now = now or timezone.now()
    locked = records.lock(Report.objects.select_related("unit"), report.pk, expected_version)
    refusal = sign_refusal(locked)
    if refusal:
        raise TransitionNotAllowed(refusal, field="state")
    check_fresh_factor(actor, password=password, otp=otp)
    _drop_files(locked)  # made before the signature: the signed files carry it
    _move(locked, State.SIGNED, actor=actor, factor="totp" if otp else "password")
    locked.signed_at, locked.signed_by = now, actor
    locked.signed_by_name = getattr(getattr(actor, "person", None), "name", "") or actor.get_username()
    records.save_version(locked, "state", "signed_at", "signed_by", "signed_by_name")
    for older in Report.objects.select_for_update().filter(
        unit=locked.unit_id, month=locked.month, state=State.SIGNED, edition__lt=locked.edition
    ):
        _move(older, State.SUPERSEDED, actor=actor, superseded_by=locked.pk)
        older.superseded_by = locked
        records.save_version(older, "state", "superseded_by")
    from . import tasks

    if render_files:
        transaction.on_commit(lambda: tasks.render_signed_files.delay(locked.pk), robust=True)
    else:  # made at their first download, from what was signed (the demo): nothing for the sweep
        Report.objects.filter(pk=locked.pk).update(files_taken_at=now)
    return locked


# -- the group's Word template ---------------------------------------------------------------------------


def _check_template(content: bytes) -> None:
    """A .docx: a zip holding word/document.xml, rendered once with a sample so an error shows now, named
    where it is (the renderer's TemplateError says the part and the place)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" not in names:
                raise DomainError(
                    _("The file is not a Word document: it has no word/document.xml."), field="file"
                )
            broken = archive.testzip()
            if broken:
                raise DomainError(_("The file is damaged at %(part)s.") % {"part": broken}, field="file")
    except zipfile.BadZipFile:
        raise DomainError(_("The file is not a .docx (not a zip archive)."), field="file") from None
    sample = build.sample_document()
    render = _renderers()
    try:
        render.render_docx(sample, template=content)
    except render.TemplateError as exc:
        raise DomainError(_("The template has an error: %(where)s") % {"where": exc}, field="file") from None


@transaction.atomic
def upload_template(upload, *, actor) -> ReportTemplate:
    """The group's Word template (cover, header, styles) for every report from now on: a group admin's."""
    access = access_of(actor)
    if not access.is_group_admin:
        raise PermissionDenied(_("Only a group system admin uploads the report template."))
    if upload is None or not getattr(upload, "size", 0):
        raise DomainError(_("Choose a file."), field="file")
    name = (upload.name or "template.docx")[-200:]
    if not name.lower().endswith(".docx"):
        raise DomainError(_("The template must be a .docx file."), field="file")
    if upload.size > settings.REPORT_TEMPLATE_LIMIT:
        raise DomainError(
            _("The file is larger than %(limit)s bytes.") % {"limit": settings.REPORT_TEMPLATE_LIMIT},
            field="file",
        )
    content = b"".join(upload.chunks())
    _check_template(content)
    group = Unit.objects.filter(kind=UnitKind.GROUP).order_by("pk").first()
    if group is None:
        raise DomainError(_("There is no group to keep the template for."), field="file")
    ReportTemplate.objects.filter(is_active=True).update(is_active=False)
    template = ReportTemplate(
        unit=group,
        name=name,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    template.file.save(name, ContentFile(content), save=False)
    template.save()
    audit.record("create", actor=actor, obj=template, after={"name": name, "sha256": template.sha256})
    return template


# -- what the pages show ---------------------------------------------------------------------------------


def issued_at_a_glance(units, month: datetime.date) -> list[tuple[Unit, Report | None]]:
    """Each unit's report of the month: the newest edition, or None."""
    units = list(units)
    newest = {}
    for report in Report.objects.filter(month=month, unit__in=units).order_by("unit_id", "edition"):
        newest[report.unit_id] = report
    return [(unit, newest.get(unit.pk)) for unit in units]


def issued_last_month(units, today: datetime.date | None = None) -> dict:
    """The dashboard's card: last month (the month a report is due for) and each unit's report of it."""
    today = today or timezone.localdate()
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    return {"month": month, "rows": issued_at_a_glance(units.order_by("code"), month)}
