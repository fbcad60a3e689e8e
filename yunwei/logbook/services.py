"""Every change to the log books goes through here (Art. 5): pages, API, tasks and the demo alike.

Entries (manual backups, restore drills, rounds, handover and routine notes) are written by the unit's
system staff and admins; each keeps when it happened apart from when it was recorded. A month whose review
is signed is frozen: an edit of one of its entries is refused (409), and an entry recorded for it later must
say what it corrects. The monthly review is confirmed log by log and signed by a system management lead of
the unit or of the group, with a fresh password or TOTP code. Rectifications follow `ALLOWED_TRANSITIONS`:
the owner works and declares it done, somebody other than the owner verifies it; overdue ones are escalated
as problems are.
"""

import datetime
import hashlib
import math

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.accounts.services import check_fresh_factor
from yunwei.audit import services as audit
from yunwei.core import records, uploads
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.core.scoping import access_of
from yunwei.incidents.services import incident as incidents
from yunwei.notify import services as notify
from yunwei.org import services as org
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Unit
from yunwei.problems import services as problems
from yunwei.problems.choices import Origin
from yunwei.problems.models import ProblemEvent

from . import facts
from .choices import (
    ALLOWED_TRANSITIONS,
    OPEN_STATES,
    REVIEW_TRANSITIONS,
    AttachmentOf,
    EscalatedTo,
    EscalationLevel,
    EventKind,
    LogKind,
    ReadingKind,
    RectificationState,
    ReviewState,
)
from .models import (
    Attachment,
    BackupEntry,
    Checkpoint,
    Finding,
    LogNote,
    MonthlyReview,
    Reading,
    Rectification,
    RectificationEvent,
    RestoreDrill,
    ReviewEvent,
    Round,
    RoundTemplate,
)

# The owner hears of an overdue rectification the day after its deadline; the lead this much later.
LEAD_ESCALATION_DELAY = problems.LEAD_ESCALATION_DELAY
# A reading beyond this magnitude is not a reading but a typing slip.
READING_BOUND = 1_000_000
CLOCK_SLACK = datetime.timedelta(minutes=5)
TRUE_WORDS = {"yes", "true", "1", "ok", "on", "是", "正常"}
FALSE_WORDS = {"no", "false", "0", "off", "否", "异常"}


class Frozen(TransitionNotAllowed):
    """The entry's month is signed: it is kept as the lead signed it."""


# -- who may act -----------------------------------------------------------------------------------


def may_record(actor, unit_id: int | None) -> bool:
    """The unit's admins and system staff (and the group's) write its log books; its users read them."""
    return access_of(actor).can_handle_unit(unit_id)


def require_record(actor, unit_id: int | None) -> None:
    if not may_record(actor, unit_id):
        raise PermissionDenied(_("Only the unit's system staff may write its log books."))


def is_lead_for(actor, unit) -> bool:
    """A system management lead of the unit or of its group: who reviews and signs its months (Art. 5)."""
    group_id = problems.group_unit_of(unit).pk
    return any(
        role == Role.SYSTEM_LEAD and (unit_id in (unit.pk, group_id) or kind == UnitKind.GROUP)
        for role, unit_id, kind in access_of(actor).roles
    )


def require_lead(actor, unit) -> None:
    if not is_lead_for(actor, unit):
        raise PermissionDenied(_("Only a system management lead reviews and signs a month (Art. 5)."))


def lead_accounts(unit) -> list[int]:
    return org.accounts_holding(Role.SYSTEM_LEAD, [unit.pk, problems.group_unit_of(unit).pk])


# -- months ----------------------------------------------------------------------------------------


def parse_month(value, *, today: datetime.date | None = None) -> datetime.date:
    """'2025-03' → 2025-03-01; empty → this month; malformed or in the future → refused naming `month`."""
    today = today or timezone.localdate()
    if value in (None, ""):
        return today.replace(day=1)
    if isinstance(value, datetime.date):
        month = value.replace(day=1)
    else:
        try:
            month = datetime.datetime.strptime(str(value).strip(), "%Y-%m").date()
        except ValueError:
            raise DomainError(_("Give the month as YYYY-MM."), field="month") from None
    if month > today.replace(day=1):
        raise DomainError(_("The month lies in the future."), field="month")
    return month


def _check_moment(unit, occurred_at, correction: str, now) -> str:
    """An entry's time: not in the future; in a signed month only as a correction saying what it corrects."""
    if occurred_at is None:
        raise DomainError(_("This field is required."), field="occurred_at")
    if occurred_at > now + CLOCK_SLACK:
        raise DomainError(_("It cannot have happened in the future."), field="occurred_at")
    if facts.is_frozen(unit.pk, facts.month_of(occurred_at)):
        if not (correction or "").strip():
            raise DomainError(
                _("%(month)s is signed: say what this late entry corrects.")
                % {"month": facts.month_of(occurred_at).strftime("%Y-%m")},
                field="correction",
            )
        return correction.strip()
    return ""


def _check_unit_person(unit, person, field: str) -> None:
    if person is None:
        raise DomainError(_("This field is required."), field=field)
    if person.unit_id not in (unit.pk, problems.group_unit_of(unit).pk):
        raise DomainError(_("Choose a person of the unit or of the group's staff."), field=field)


def _entry_fields(unit, actor, occurred_at, correction, now) -> dict:
    require_record(actor, unit.pk)
    return {
        "unit": unit,
        "occurred_at": occurred_at,
        "recorded_at": now,
        "recorded_by": actor if actor is not None and actor.pk else None,
        "correction": _check_moment(unit, occurred_at, correction, now),
    }


# -- entries ----------------------------------------------------------------------------------------


@transaction.atomic
def record_backup(
    *, actor, unit, occurred_at, subject: str, target: str, correction: str = "", now=None, **fields
) -> BackupEntry:
    """A backup run by hand, into the data-backup log (Art. 5, 9)."""
    now = now or timezone.now()
    base = _entry_fields(unit, actor, occurred_at, correction, now)
    heartbeat = fields.get("heartbeat")
    if heartbeat is not None and (heartbeat.unit_id != unit.pk or heartbeat.kind != "backup"):
        raise DomainError(_("Choose a backup job of the unit."), field="heartbeat")
    ended = fields.get("ended_at")
    if ended is not None and ended < occurred_at:
        raise DomainError(_("A backup cannot end before it started."), field="ended_at")
    return records.create_record(BackupEntry, actor=actor, subject=subject, target=target, **base, **fields)


@transaction.atomic
def record_drill(
    *, actor, unit, occurred_at, performed_by, verified_by, correction: str = "", now=None, **fields
) -> RestoreDrill:
    """A restore drill (Art. 3, 9): verified by somebody other than the person who restored."""
    now = now or timezone.now()
    base = _entry_fields(unit, actor, occurred_at, correction, now)
    _check_unit_person(unit, performed_by, "performed_by")
    _check_unit_person(unit, verified_by, "verified_by")
    if performed_by.pk == verified_by.pk:
        raise DomainError(
            _("The restore is verified by somebody other than the person who did it."), field="verified_by"
        )
    duration = fields.get("duration_minutes")
    if duration is None or int(duration) < 1:
        raise DomainError(_("Give how long the restore took, in minutes."), field="duration_minutes")
    return records.create_record(
        RestoreDrill, actor=actor, performed_by=performed_by, verified_by=verified_by, **base, **fields
    )


@transaction.atomic
def record_note(
    *, actor, unit, occurred_at, kind: str, text: str, team=None, correction: str = "", now=None
) -> LogNote:
    """A shift handover note or a routine work entry of the daily management log."""
    now = now or timezone.now()
    base = _entry_fields(unit, actor, occurred_at, correction, now)
    if not (text or "").strip():
        raise DomainError(_("This field is required."), field="text")
    if team is not None and team.unit_id != unit.pk:
        raise DomainError(_("Choose a team of the unit."), field="team")
    return records.create_record(LogNote, actor=actor, kind=kind, text=text.strip(), team=team, **base)


def _parse_reading(checkpoint, raw) -> tuple[str, bool]:
    """The stored text of a reading and whether it is out of its limits; a wrong type or an impossible
    number is refused, naming the checkpoint."""
    text = str(raw if raw is not None else "").strip()
    label = checkpoint.label
    if not text:
        raise DomainError(_("Reading “%(label)s” is missing.") % {"label": label}, field="readings")
    if checkpoint.kind == ReadingKind.NUMBER:
        try:
            number = float(text)
        except ValueError:
            raise DomainError(
                _("Reading “%(label)s” must be a number.") % {"label": label}, field="readings"
            ) from None
        if not math.isfinite(number) or abs(number) > READING_BOUND:
            raise DomainError(_("Reading “%(label)s” is out of range.") % {"label": label}, field="readings")
        out = (checkpoint.low is not None and number < checkpoint.low) or (
            checkpoint.high is not None and number > checkpoint.high
        )
        return f"{number:g}", out
    if checkpoint.kind == ReadingKind.BOOLEAN:
        word = text.lower()
        if word in TRUE_WORDS:
            return "yes", False
        if word in FALSE_WORDS:
            return "no", True
        raise DomainError(_("Reading “%(label)s” must be yes or no.") % {"label": label}, field="readings")
    return text[:200], False


@transaction.atomic
def record_round(
    *,
    actor,
    template: RoundTemplate,
    occurred_at,
    performed_by,
    readings: dict,
    remarks: str = "",
    correction: str = "",
    now=None,
) -> Round:
    """An inspection round walked (Art. 5): `readings` maps each checkpoint's id to what was read. A reading
    out of its limits is flagged; every checkpoint must be read."""
    now = now or timezone.now()
    unit = template.unit
    base = _entry_fields(unit, actor, occurred_at, correction, now)
    _check_unit_person(unit, performed_by, "performed_by")
    if template.retired_on is not None and occurred_at >= _day_start(template.retired_on):
        raise DomainError(_("This round is retired: it is not walked any more."), field="template")
    checkpoints = list(template.current_checkpoints())
    known = {str(c.pk) for c in checkpoints}
    unknown = [key for key in (readings or {}) if str(key) not in known]
    if unknown:
        raise DomainError(_("Readings name a checkpoint not on this round."), field="readings")
    given = {str(k): v for k, v in (readings or {}).items()}
    parsed = [(c, *_parse_reading(c, given.get(str(c.pk)))) for c in checkpoints]
    round_ = records.create_record(
        Round, actor=actor, template=template, performed_by=performed_by, remarks=remarks, **base
    )
    Reading.objects.bulk_create(
        [Reading(round=round_, checkpoint=c, value=value, out_of_limits=out) for c, value, out in parsed]
    )
    return round_


EDITABLE = {
    BackupEntry: ("occurred_at", "subject", "target", "ended_at", "size", "succeeded", "remarks"),
    RestoreDrill: ("occurred_at", "subject", "restored_to", "duration_minutes", "outcome", "remarks"),
    LogNote: ("occurred_at", "kind", "text", "team"),
}


@transaction.atomic
def update_entry(entry, *, actor, expected_version: int | None = None, now=None, **fields):
    """Edit an entry of an open month. A signed month's entries stay as signed (409); moving an entry
    into a signed month is refused the same way."""
    require_record(actor, entry.unit_id)
    allowed = EDITABLE[type(entry)]
    unknown = set(fields) - set(allowed)
    if unknown:
        raise DomainError(_("This field cannot be changed."), field=sorted(unknown)[0])
    month = facts.month_of(entry.occurred_at)
    if facts.is_frozen(entry.unit_id, month):
        raise Frozen(
            _("%(month)s is signed: its entries are kept as signed; record a correction instead.")
            % {"month": month.strftime("%Y-%m")},
            field="occurred_at",
        )
    moved = fields.get("occurred_at")
    if moved is not None:
        if moved > (now or timezone.now()) + CLOCK_SLACK:
            raise DomainError(_("It cannot have happened in the future."), field="occurred_at")
        if facts.is_frozen(entry.unit_id, facts.month_of(moved)):
            raise Frozen(_("That month is signed: an entry cannot be moved into it."), field="occurred_at")
    return records.update_record(entry, actor=actor, expected_version=expected_version, **fields)


ATTACHABLE = {
    AttachmentOf.NOTE: LogNote,
    AttachmentOf.BACKUP: BackupEntry,
    AttachmentOf.DRILL: RestoreDrill,
    AttachmentOf.ROUND: Round,
}


@transaction.atomic
def attach(entry, upload, *, actor, now=None) -> Attachment:
    """Keep a file with an entry of an open month, with its SHA-256 (Art. 11: files checked and kept
    unchanged)."""
    require_record(actor, entry.unit_id)
    kind = next((k for k, model in ATTACHABLE.items() if isinstance(entry, model)), None)
    if kind is None:
        raise DomainError(_("Files are attached to log-book entries only."), field="entry")
    month = facts.month_of(entry.occurred_at)
    if facts.is_frozen(entry.unit_id, month):
        raise Frozen(_("%(month)s is signed: its entries are kept as signed.") % {"month": f"{month:%Y-%m}"})
    if upload is None or not upload.size:
        raise DomainError(_("Choose a file."), field="file")
    # Type and size by what the upload knows, before it is read.
    uploads.check_file(
        upload,
        field="file",
        label=_("File"),
        max_bytes=settings.LOGBOOK_ATTACHMENT_LIMIT,
        types=settings.LOGBOOK_ATTACHMENT_TYPES,
        limit_text=f"{settings.LOGBOOK_ATTACHMENT_LIMIT} bytes",
    )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        unit_id=entry.unit_id,
        entry_type=kind,
        entry_id=entry.pk,
        name=(upload.name or "file")[-200:],
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
        uploaded_at=now or timezone.now(),
    )
    attachment.file.save(upload.name or "file", upload, save=False)
    attachment.save()
    audit.record(
        "create", actor=actor, obj=attachment, after={"name": attachment.name, "sha256": attachment.sha256}
    )
    return attachment


def attachments_of(entry):
    kind = next((k for k, model in ATTACHABLE.items() if isinstance(entry, model)), None)
    return Attachment.objects.filter(entry_type=kind, entry_id=entry.pk)


# -- a round template -------------------------------------------------------------------------------


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def may_define_rounds(actor, unit_id: int | None) -> bool:
    """The unit's admins (and the group's) edit and retire its rounds' checklists."""
    return access_of(actor).can_manage_unit(unit_id)


def _check_template_fields(unit, *, team, location, weekdays, checkpoints) -> tuple[list[int], list[dict]]:
    """The team, place, days and readings of a round, checked; answers the days and the readings cleaned."""
    if team is None or team.unit_id not in (unit.pk, problems.group_unit_of(unit).pk):
        raise DomainError(_("Choose a team of the unit."), field="team")
    if location is not None and location.unit_id != unit.pk:
        raise DomainError(_("Choose a room or rack of the unit."), field="location")
    try:
        days = sorted({int(d) for d in weekdays or ()})
    except (TypeError, ValueError):
        days = [-1]
    if not days or any(d < 0 or d > 6 for d in days):
        raise DomainError(
            _("Choose the weekdays the round is due (0 = Monday … 6 = Sunday)."), field="weekdays"
        )
    if not checkpoints:
        raise DomainError(_("A round needs at least one reading."), field="checkpoints")
    cleaned = []
    for point in checkpoints:
        if not str(point.get("label", "")).strip():
            raise DomainError(_("Each reading needs a name."), field="checkpoints")
        kind = point.get("kind") or ReadingKind.NUMBER
        if kind not in ReadingKind.values:
            raise DomainError(_("Unknown kind of reading."), field="checkpoints")
        try:
            low, high = (None if point.get(k) in (None, "") else float(point[k]) for k in ("low", "high"))
        except (TypeError, ValueError):
            raise DomainError(_("A limit must be a number."), field="checkpoints") from None
        if any(v is not None and (not math.isfinite(v) or abs(v) > READING_BOUND) for v in (low, high)):
            raise DomainError(_("A limit is out of range."), field="checkpoints")
        if kind != ReadingKind.NUMBER and (low is not None or high is not None):
            raise DomainError(_("Only a number reading has limits."), field="checkpoints")
        if low is not None and high is not None and low > high:
            raise DomainError(_("A lower limit above the upper limit."), field="checkpoints")
        cleaned.append(
            {
                "label": str(point["label"]).strip()[:100],
                "kind": kind,
                "unit_label": str(point.get("unit_label") or "")[:20],
                "low": low,
                "high": high,
            }
        )
    return days, cleaned


@transaction.atomic
def create_template(*, actor, unit, team, name: str, weekdays, checkpoints, location=None, active_from=None):
    """A round's checklist (Art. 4, 5): the team's readings, due on `weekdays` (0 = Monday), with limits."""
    require_record(actor, unit.pk)
    days, cleaned = _check_template_fields(
        unit, team=team, location=location, weekdays=weekdays, checkpoints=checkpoints
    )
    if not (name or "").strip():
        raise DomainError(_("This field is required."), field="name")
    template = records.create_record(
        RoundTemplate,
        actor=actor,
        unit=unit,
        team=team,
        name=name.strip(),
        location=location,
        weekdays=days,
        active_from=active_from or timezone.localdate(),
    )
    template.checkpoints.bulk_create(
        [
            template.checkpoints.model(template=template, position=position, **point)
            for position, point in enumerate(cleaned, start=1)
        ]
    )
    return template


@transaction.atomic
def update_template(
    template: RoundTemplate,
    *,
    actor,
    expected_version: int | None = None,
    name=None,
    team=None,
    location=...,
    weekdays=None,
    checkpoints=None,
    now=None,
) -> RoundTemplate:
    """Edit a round's checklist (its unit's admins; `expected_version` guards against a stale edit). A
    reading whose definition changes is retired and a new one takes its place: the rounds walked before
    keep the readings, limits and flags they were judged against; nothing already walked is rewritten."""
    if not may_define_rounds(actor, template.unit_id):
        raise PermissionDenied(_("Only the unit's system admins edit its rounds."))
    now = now or timezone.now()
    locked = records.lock(RoundTemplate.objects.select_related("unit"), template.pk, expected_version)
    if locked.retired_on is not None:
        raise TransitionNotAllowed(_("This round is retired: it is not edited any more."), field="is_active")
    current = list(locked.current_checkpoints())
    days, cleaned = _check_template_fields(
        locked.unit,
        team=team if team is not None else locked.team,
        location=locked.location if location is ... else location,
        weekdays=weekdays if weekdays is not None else locked.weekdays,
        checkpoints=checkpoints if checkpoints is not None else [_point(c) for c in current],
    )
    fields = {"weekdays": days}
    if name is not None:
        if not name.strip():
            raise DomainError(_("This field is required."), field="name")
        fields["name"] = name.strip()
    if team is not None:
        fields["team"] = team
    if location is not ...:
        fields["location"] = location
    changed = [
        position
        for position in range(1, max(len(current), len(cleaned)) + 1)
        if position > len(current)
        or position > len(cleaned)
        or current[position - 1].definition() != tuple(cleaned[position - 1].values())
    ]
    retired = [c.pk for c in current if c.position in changed]
    if retired:
        Checkpoint.objects.filter(pk__in=retired).update(retired_at=now)
    Checkpoint.objects.bulk_create(
        [
            Checkpoint(template=locked, position=position, **cleaned[position - 1])
            for position in changed
            if position <= len(cleaned)
        ]
    )
    if changed:
        # The readings are rows of their own: their replacement is audited apart from the round's fields.
        audit.record(
            "update",
            actor=actor,
            obj=locked,
            before={"checkpoints": [_point(c) for c in current if c.position in changed]},
            after={"checkpoints": [cleaned[p - 1] for p in changed if p <= len(cleaned)]},
            comment=_("%(n)s readings replaced") % {"n": len(changed)},
        )
    return records.update_record(locked, actor=actor, **fields)


def _point(checkpoint) -> dict:
    return dict(zip(("label", "kind", "unit_label", "low", "high"), checkpoint.definition(), strict=True))


@transaction.atomic
def retire_template(template: RoundTemplate, *, actor, expected_version: int | None = None) -> RoundTemplate:
    """Retire a round (its unit's admins): not due from today on, not walked any more; the rounds walked
    and the days missed before stay in the month's log."""
    if not may_define_rounds(actor, template.unit_id):
        raise PermissionDenied(_("Only the unit's system admins retire its rounds."))
    locked = records.lock(RoundTemplate.objects.all(), template.pk, expected_version)
    if locked.retired_on is not None:
        raise TransitionNotAllowed(_("This round is retired already."), field="is_active")
    return records.update_record(locked, actor=actor, retired_on=timezone.localdate(), is_active=False)


# -- a flagged reading becomes an incident or a problem -----------------------------------------------


@transaction.atomic
def escalate_reading(reading: Reading, *, to: str, actor, now=None) -> Reading:
    """Turn an out-of-limits reading into an incident or a problem in one step, through their own services
    (Art. 12, 14); the reading keeps the link, and a reading is escalated once."""
    locked = records.lock(
        Reading.objects.select_related("round__template__location", "checkpoint", "round__unit"), reading.pk
    )
    round_ = locked.round
    unit = round_.unit
    require_record(actor, unit.pk)
    if to not in EscalatedTo.values:
        raise DomainError(_("Choose an incident or a problem."), field="to")
    if not locked.out_of_limits:
        raise TransitionNotAllowed(_("Only a reading out of its limits is escalated."), field="to")
    if locked.escalated_to:
        raise TransitionNotAllowed(_("This reading was escalated already."), field="to")
    title = _("%(round)s: %(reading)s reads %(value)s") % {
        "round": round_.template.name,
        "reading": locked.checkpoint.label,
        "value": f"{locked.value}{locked.checkpoint.unit_label}",
    }
    description = _("Out of its limits (%(low)s – %(high)s) in the round walked at %(at)s.") % {
        "low": locked.checkpoint.low if locked.checkpoint.low is not None else "—",
        "high": locked.checkpoint.high if locked.checkpoint.high is not None else "—",
        "at": timezone.localtime(round_.occurred_at).strftime("%Y-%m-%d %H:%M"),
    }
    items = [round_.template.location] if round_.template.location_id else []
    if to == EscalatedTo.INCIDENT:
        locked.incident = incidents.report(
            actor=actor,
            unit=unit,
            title=title[:200],
            description=description,
            impact_scope="one_unit",
            started_at=min(round_.occurred_at, now or timezone.now()),
            affected_items=items,
            now=now,
        )
    else:
        locked.problem = problems.register(
            actor=actor,
            unit=unit,
            title=title[:200],
            description=description,
            origin=Origin.INSPECTION,
            affected_items=items,
            now=now,
        )
    locked.escalated_to = to
    locked.save(update_fields=["escalated_to", "incident", "problem"])
    audit.record("update", actor=actor, obj=round_, after={"reading": locked.pk, "escalated_to": to})
    return locked


# -- the monthly review (Art. 5) ----------------------------------------------------------------------


def _review_event(review, kind, *, actor, **details) -> ReviewEvent:
    return records.append_event(ReviewEvent, {"review": review}, kind, actor=actor, **details)


@transaction.atomic
def open_review(unit, month: datetime.date, *, actor) -> MonthlyReview:
    """The unit's review of `month`, opened on first use with the due date then in force (a system act
    when `actor` is None: the overdue sweep)."""
    if actor is not None:
        require_lead(actor, unit)
    month = facts.first_of(month)
    review, created = MonthlyReview.objects.get_or_create(
        unit=unit, month=month, defaults={"due_on": facts.due_on(month)}
    )
    if created:
        _review_event(review, EventKind.CREATED, actor=actor, to_state=ReviewState.OPEN)
    return review


def _locked_review(review, expected_version=None) -> MonthlyReview:
    locked = records.lock(MonthlyReview.objects.select_related("unit"), review.pk, expected_version)
    if locked.state != ReviewState.OPEN:
        raise TransitionNotAllowed(_("The month is signed; its review is closed."), field="state")
    return locked


@transaction.atomic
def confirm_log(review: MonthlyReview, log: str, *, actor, comment: str = "") -> MonthlyReview:
    """The lead confirms one of the three logs of the month (Art. 5: 确认)."""
    require_lead(actor, review.unit)
    if log not in LogKind.values:
        raise DomainError(_("Choose one of the three logs."), field="log")
    locked = _locked_review(review)
    now = timezone.now()
    setattr(locked, f"{log}_confirmed_at", now)
    records.save_version(locked, f"{log}_confirmed_at")
    _review_event(locked, EventKind.CONFIRMED, actor=actor, comment=comment, log=log)
    audit.record("update", actor=actor, obj=locked, after={f"{log}_confirmed_at": now})
    return locked


@transaction.atomic
def add_finding(review: MonthlyReview, *, log: str, text: str, actor) -> Finding:
    """A finding of the review (Art. 5: 发现问题), to be turned into a rectification."""
    require_lead(actor, review.unit)
    if log not in LogKind.values:
        raise DomainError(_("Choose one of the three logs."), field="log")
    if not (text or "").strip():
        raise DomainError(_("This field is required."), field="text")
    locked = _locked_review(review)
    finding = Finding.objects.create(
        review=locked, log=log, text=text.strip(), recorded_by=actor, recorded_at=timezone.now()
    )
    _review_event(locked, EventKind.FINDING, actor=actor, comment=finding.text, log=log, finding=finding.pk)
    audit.record("create", actor=actor, obj=finding, after={"log": log, "text": finding.text})
    return finding


def summary(unit, month: datetime.date) -> dict:
    """What the lead sees of the month, kept on the review when it is signed (so later data does not
    rewrite a signed month)."""
    start, end = facts.month_bounds(month)
    evidence = facts.backup_evidence(unit, month)
    missing = facts.missing_rounds(unit, month)
    rounds = Round.objects.filter(unit=unit, occurred_at__gte=start, occurred_at__lt=end)
    return {
        "backup": {
            "gap_days": evidence.gap_days,
            "evidence_days": evidence.evidence_days,
            "gaps": [d.day.isoformat() for d in evidence.days if d.status == "gap"],
            "manual": BackupEntry.objects.filter(
                unit=unit, occurred_at__gte=start, occurred_at__lt=end
            ).count(),
            "drills": RestoreDrill.objects.filter(
                unit=unit, occurred_at__gte=start, occurred_at__lt=end
            ).count(),
        },
        "daily": {
            "rounds": rounds.count(),
            "flagged": Reading.objects.filter(round__in=rounds, out_of_limits=True).count(),
            "missing": [m.as_json() for m in missing],
            "notes": LogNote.objects.filter(unit=unit, occurred_at__gte=start, occurred_at__lt=end).count(),
        },
        "problems": {
            "events": ProblemEvent.objects.filter(problem__unit=unit, at__gte=start, at__lt=end).count(),
        },
    }


def sign_refusal(review: MonthlyReview, now=None) -> str | None:
    """Why the month cannot be signed yet, or None."""
    now = now or timezone.now()
    if review.state != ReviewState.OPEN:
        return _("The month is signed already.")
    if now < facts.month_bounds(review.month)[1]:
        return _("A month is signed once it is over.")
    if not review.all_confirmed:
        return _("Confirm each of the three logs first.")
    return None


@transaction.atomic
def sign(review: MonthlyReview, *, actor, password: str = "", otp: str = "", expected_version=None, now=None):
    """Sign the month (Art. 5): the lead, every log confirmed, a fresh password or TOTP code. The month is
    then frozen, and what the lead saw is kept on the review."""
    require_lead(actor, review.unit)
    now = now or timezone.now()
    locked = _locked_review(review, expected_version)
    refusal = sign_refusal(locked, now)
    if refusal:
        raise TransitionNotAllowed(refusal, field="state")
    check_fresh_factor(actor, password=password, otp=otp)
    if ReviewState.SIGNED not in REVIEW_TRANSITIONS[locked.state]:
        raise TransitionNotAllowed(_("The month is signed already."), field="state")
    locked.snapshot = summary(locked.unit, locked.month)
    locked.state, locked.signed_at, locked.signed_by = ReviewState.SIGNED, now, actor
    records.save_version(locked, "state", "signed_at", "signed_by", "snapshot")
    records.log_transition(
        ReviewEvent,
        {"review": locked},
        locked,
        ReviewState.OPEN,
        ReviewState.SIGNED,
        actor=actor,
        at=now,
        factor="totp" if otp else "password",
    )
    return locked


def corrections(review: MonthlyReview) -> list:
    """Entries recorded for the month after it was signed: each says what it corrects (an entry of a month
    is a correction only once the month is signed, so its text marks it)."""
    if review.signed_at is None:
        return []
    start, end = facts.month_bounds(review.month)
    found = []
    for model in (BackupEntry, RestoreDrill, LogNote, Round):
        found += list(
            model.objects.filter(unit=review.unit, occurred_at__gte=start, occurred_at__lt=end).exclude(
                correction=""
            )
        )
    return sorted(found, key=lambda e: e.recorded_at)


def is_overdue(review: MonthlyReview | None, month: datetime.date, today=None) -> bool:
    today = today or timezone.localdate()
    if review is not None:
        return review.state == ReviewState.OPEN and review.due_on < today
    return facts.due_on(month) < today


REVIEW_NOTICE = (
    (
        "【月度审核超期】{unit} {month}",
        "{unit} {month} 的数据备份、日常管理和问题跟踪日志尚未审核签字（应于 {due} 前完成）。",
    ),
    ("[Monthly review overdue] {unit} {month}", "The logs of {unit} for {month} are not signed (due {due})."),
)


def sweep_overdue_reviews(now=None) -> int:
    """Open last month's review of every unit once it is past due, and tell the leads of each overdue review
    once: a conditional update claims it, so two sweeps tell it once."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    if facts.due_on(last_month) < today:
        for unit in Unit.objects.filter(is_active=True, kind__in=[UnitKind.UNIT, UnitKind.GROUP]):
            open_review(unit, last_month, actor=None)
    told = 0
    due = MonthlyReview.objects.filter(state=ReviewState.OPEN, due_on__lt=today, overdue_told_at__isnull=True)
    for pk in list(due.values_list("pk", flat=True)):
        told += _tell_overdue(pk, now, today)
    return told


@transaction.atomic
def _tell_overdue(pk: int, now, today) -> int:
    claimed = MonthlyReview.objects.filter(
        pk=pk, state=ReviewState.OPEN, due_on__lt=today, overdue_told_at__isnull=True
    ).update(overdue_told_at=now)
    if not claimed:
        return 0
    review = MonthlyReview.objects.select_related("unit").get(pk=pk)
    accounts = lead_accounts(review.unit)
    _review_event(review, EventKind.OVERDUE, actor=None, at=now, recipients=accounts)
    values = {"unit": review.unit.name, "month": f"{review.month:%Y-%m}", "due": review.due_on.isoformat()}
    (zh_s, zh_b), (en_s, en_b) = REVIEW_NOTICE
    notify.send(
        event_key=f"logbook-review:{review.pk}:overdue",
        unit_id=review.unit_id,
        recipients=notify.user_recipients(accounts),
        subject={"zh-hans": zh_s.format(**values), "en": en_s.format(**values)},
        body={"zh-hans": zh_b.format(**values), "en": en_b.format(**values)},
    )
    return 1


# -- rectifications ---------------------------------------------------------------------------------


def _rect_event(rect, kind, *, actor, **details) -> RectificationEvent:
    return records.append_event(RectificationEvent, {"rectification": rect}, kind, actor=actor, **details)


@transaction.atomic
def rectify(finding: Finding, *, actor, owner, deadline: datetime.date, title: str = "") -> Rectification:
    """A finding becomes a rectification item with an owner and a deadline (Art. 5: 及时整改), by the lead."""
    review = finding.review
    unit = review.unit
    require_lead(actor, unit)
    if Rectification.objects.filter(finding=finding).exists():
        raise TransitionNotAllowed(_("This finding has its rectification already."), field="finding")
    _check_unit_person(unit, owner, "owner")
    if deadline is None:
        raise DomainError(_("This field is required."), field="deadline")
    if deadline < timezone.localdate():
        raise DomainError(_("The deadline lies in the past."), field="deadline")
    owner_alert_at, lead_alert_at = problems.alert_moments(deadline)
    rect = records.create_record(
        Rectification,
        actor=actor,
        unit=unit,
        finding=finding,
        title=(title or finding.text).strip()[:200],
        owner=owner,
        deadline=deadline,
        created_by=actor,
        owner_alert_at=owner_alert_at,
        lead_alert_at=lead_alert_at,
    )
    _rect_event(rect, EventKind.CREATED, actor=actor, to_state=RectificationState.OPEN, owner=owner.pk)
    return rect


@transaction.atomic
def rectify_from(
    unit, month: datetime.date, *, log: str, text: str, actor, owner, deadline, title: str = ""
) -> Rectification:
    """A finding made outside the review (a compliance check's) becomes a rectification in one step: it is
    recorded as a finding of the month's review while that is open (the lead sees it before signing), of
    the running month's once the month is signed (a signed review stays as signed), then rectified."""
    require_lead(actor, unit)
    month = facts.first_of(month)
    review = facts.review_of(unit, month)
    if review is not None and review.state != ReviewState.OPEN:
        month = timezone.localdate().replace(day=1)
    review = open_review(unit, month, actor=actor)
    finding = add_finding(review, log=log, text=text, actor=actor)
    return rectify(finding, actor=actor, owner=owner, deadline=deadline, title=title)


def _is_owner(actor, rect) -> bool:
    return actor is not None and actor.pk is not None and rect.owner.account_id == actor.pk


def permission_failure(rect: Rectification, to: str, actor) -> str | None:
    """Who may take each step (Art. 5 with the separation of duties): the owner works and declares it done;
    somebody who handles the unit, neither its owner nor who declared it done, verifies or sends it back;
    a lead cancels."""
    if to in (RectificationState.IN_PROGRESS,) and rect.state == RectificationState.OPEN:
        if _is_owner(actor, rect) or is_lead_for(actor, rect.unit):
            return None
        return _("The owner starts the work.")
    if to == RectificationState.DONE:
        return None if _is_owner(actor, rect) else _("Only the owner declares the rectification done.")
    if to in (RectificationState.VERIFIED, RectificationState.IN_PROGRESS):
        if _is_owner(actor, rect) or (rect.done_by_id and rect.done_by_id == actor.pk):
            return _("Somebody other than the owner verifies the rectification.")
        if not (is_lead_for(actor, rect.unit) or access_of(actor).can_handle_unit(rect.unit_id)):
            return _("Only the unit's system staff or a lead verify a rectification.")
        return None
    if to == RectificationState.CANCELLED:
        return None if is_lead_for(actor, rect.unit) else _("Only a system management lead cancels an item.")
    return None


def allowed_targets(rect: Rectification, actor) -> list[str]:
    return [to for to in ALLOWED_TRANSITIONS[rect.state] if permission_failure(rect, to, actor) is None]


@transaction.atomic
def transition(
    rect: Rectification,
    *,
    to: str,
    actor,
    comment: str = "",
    result: str = "",
    expected_version=None,
    now=None,
) -> Rectification:
    now = now or timezone.now()
    locked = records.lock(Rectification.objects.select_related("unit", "owner"), rect.pk, expected_version)
    if to not in RectificationState.values:
        raise DomainError(_("Unknown state."), field="to")
    source = locked.state
    if to not in ALLOWED_TRANSITIONS[source]:
        raise TransitionNotAllowed(
            _("From “%(source)s” an item cannot move to “%(to)s”.")
            % {"source": RectificationState(source).label, "to": RectificationState(to).label},
            field="to",
        )
    refusal = permission_failure(locked, to, actor)
    if refusal:
        raise PermissionDenied(refusal)
    fields = ["state"]
    shown = {}
    if to == RectificationState.DONE:
        if not (result or "").strip():
            raise DomainError(_("Say what was done."), field="result")
        locked.result, locked.done_by = result.strip(), actor
        fields += ["result", "done_by"]
        shown["result"] = locked.result
    if to == RectificationState.VERIFIED:
        locked.verified_by, locked.verified_at = actor, now
        fields += ["verified_by", "verified_at"]
    if source == RectificationState.DONE and to == RectificationState.IN_PROGRESS and not comment.strip():
        raise DomainError(_("Say why the verification failed."), field="comment")
    if to == RectificationState.CANCELLED and not comment.strip():
        raise DomainError(_("Say why the item is cancelled."), field="comment")
    locked.state = to
    records.save_version(locked, *fields)
    records.log_transition(
        RectificationEvent,
        {"rectification": locked},
        locked,
        source,
        to,
        actor=actor,
        at=now,
        comment=comment,
        **shown,
    )
    return locked


def overdue_q(now=None) -> Q:
    return Q(state__in=OPEN_STATES, owner_alert_at__lte=now or timezone.now())


RECT_NOTICES = {
    EscalationLevel.OWNER: (
        ("【整改超期】{code} {title}", "整改项 {code}（{title}）已超过期限 {deadline}，请尽快完成。"),
        (
            "[Rectification overdue] {code} {title}",
            "Rectification {code} ({title}) is past its deadline {deadline}.",
        ),
    ),
    EscalationLevel.LEAD: (
        (
            "【整改超期升级】{code} {title}",
            "{unit}的整改项 {code}（{title}）超过期限 {deadline} 仍未完成，负责人：{owner}。",
        ),
        (
            "[Rectification overdue, escalated] {code} {title}",
            "Rectification {code} ({title}) of {unit} is still open past {deadline}; owner: {owner}.",
        ),
    ),
}


def escalate_overdue(now=None) -> int:
    """Tell the owners of rectifications past their deadline, later the leads; each level once, claimed by
    a conditional update (as `problems.services.escalate_overdue`)."""
    now = now or timezone.now()
    sent = 0
    for level, moment in ((EscalationLevel.OWNER, "owner_alert_at"), (EscalationLevel.LEAD, "lead_alert_at")):
        due = Rectification.objects.filter(
            state__in=OPEN_STATES, escalation_level__lt=level, **{f"{moment}__lte": now}
        ).values_list("pk", flat=True)
        for pk in list(due):
            sent += _escalate(pk, level, now)
    return sent


@transaction.atomic
def _escalate(pk: int, level: int, now) -> int:
    moment = "owner_alert_at" if level == EscalationLevel.OWNER else "lead_alert_at"
    claimed = Rectification.objects.filter(
        pk=pk, state__in=OPEN_STATES, escalation_level__lt=level, **{f"{moment}__lte": now}
    ).update(escalation_level=level)
    if not claimed:
        return 0
    rect = records.lock(Rectification.objects.select_related("unit", "owner"), pk)
    if level == EscalationLevel.OWNER:
        rect.lead_alert_at = max(rect.lead_alert_at or now, now + LEAD_ESCALATION_DELAY)
        accounts = [rect.owner.account_id] if rect.owner.account_id else []
    else:
        accounts = lead_accounts(rect.unit)
    records.save_version(rect, "lead_alert_at")
    _rect_event(rect, EventKind.ESCALATION, actor=None, at=now, level=level, recipients=sorted(accounts))
    audit.record("update", actor=None, obj=rect, after={"escalation_level": level})
    values = {
        "code": rect.code,
        "title": rect.title,
        "deadline": rect.deadline.isoformat(),
        "unit": rect.unit.name,
        "owner": rect.owner.name,
    }
    (zh_s, zh_b), (en_s, en_b) = RECT_NOTICES[level]
    notify.send(
        event_key=f"rectification:{rect.pk}:overdue:{rect.deadline}:{level}",
        unit_id=rect.unit_id,
        recipients=notify.user_recipients(accounts),
        subject={"zh-hans": zh_s.format(**values), "en": en_s.format(**values)},
        body={"zh-hans": zh_b.format(**values), "en": en_b.format(**values)},
        urgent=level == EscalationLevel.LEAD,
    )
    return 1
