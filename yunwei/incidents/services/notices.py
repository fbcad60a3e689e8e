"""The notices of Art. 13 (suspension, recovery, leader report, the report of a vendor call), rendered
from the plan's templates, whom each names, and whether it reached them: a notice counts only when it
reached somebody."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from yunwei.audit import services as audit
from yunwei.core import records
from yunwei.core.errors import DomainError, TransitionNotAllowed
from yunwei.notify import services as notify
from yunwei.org import services as org
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Person, Unit

from ..choices import OPEN_STATES, Deadline, EventKind, Grade, NoticeKind
from ..models import (
    Incident,
    Notice,
)
from .common import SEVERE_GRADES, add_event, group_unit_ids, lock_incident, require_staff

DEFAULT_TEMPLATES = {
    NoticeKind.SUSPENSION: {
        "zh-hans": (
            "【停用通知】{title}",
            "因系统故障（{title}），自{started_at}起暂停使用{unit}的相关系统，恢复时另行通知。",
        ),
        "en": (
            "[Suspension] {title}",
            "Because of a fault ({title}) the affected systems of {unit} are suspended "
            "from {started_at}; you will be told when they are back.",
        ),
    },
    NoticeKind.RECOVERY: {
        "zh-hans": (
            "【恢复通知】{title}",
            "{unit}的系统故障（{title}）已修复并全面测试通过，系统已恢复正常使用。",
        ),
        "en": (
            "[Recovery] {title}",
            "The fault of {unit} ({title}) is repaired and fully tested; the system is back in normal use.",
        ),
    },
    NoticeKind.LEADER_REPORT: {
        "zh-hans": (
            "【{grade}级故障报告】{title}",
            "{unit}发生{grade}级故障：{title}，开始于{started_at}。正在按应急预案处理。",
        ),
        "en": (
            "[Grade {grade} fault] {title}",
            "A grade {grade} fault at {unit}: {title}, since {started_at}. "
            "It is being handled under the emergency plan.",
        ),
    },
    NoticeKind.VENDOR_CALL: {
        "zh-hans": (
            "【联络厂家】{title}",
            "{unit}的{grade}级故障（{title}）无法独立处理，已联络厂家维护工程师协助处理。",
        ),
        "en": (
            "[Vendor called] {title}",
            "The grade {grade} fault of {unit} ({title}) cannot be handled alone: the vendor's maintenance "
            "engineer is called in.",
        ),
    },
}


def _render(incident: Incident, kind: str) -> tuple[dict, dict]:
    values = {
        "title": incident.title,
        "unit": incident.unit.name,
        "started_at": timezone.localtime(incident.started_at).strftime("%Y-%m-%d %H:%M"),
        "grade": incident.grade,
    }
    templates = incident.plan_snapshot.get("notice_templates", {}).get(kind, {})
    subject, body = {}, {}
    for language, (default_subject, default_body) in DEFAULT_TEMPLATES[kind].items():
        custom = templates.get(language) or {}
        try:
            subject[language] = (custom.get("subject") or default_subject).format(**values)
            body[language] = (custom.get("body") or default_body).format(**values)
        except (KeyError, IndexError, ValueError):  # a broken template never stops the flow
            subject[language] = default_subject.format(**values)
            body[language] = default_body.format(**values)
    return subject, body


@dataclass(frozen=True)
class Addressees:
    """One group of people a notice of the flow names (Art. 13), and what to say when none of them can be
    reached. `counts`: reaching them meets the rule; the group's general office only gets a copy of a
    unit's suspension and recovery notices."""

    recipients: list
    unreachable: str
    counts: bool = True


def _group_units(incident: Incident) -> list[Unit]:
    return list(Unit.objects.filter(kind=UnitKind.GROUP).exclude(pk=incident.unit_id).order_by("pk"))


def addressees(incident: Incident, kind: str, grade: str | None = None) -> list[Addressees]:
    """Whom a notice names. Leader report (Art. 13: 向主管领导汇报; Art. 4): a grade Ⅱ (or Ⅰ) fault goes to
    the leader in charge of the incident's unit and to the group's leader in charge of the OA system, a
    grade Ⅲ fault to the system management lead; a vendor called in because the staff cannot handle the
    fault alone (若无法独立处理问题，及时汇报) is reported to the system management lead. Suspension and
    recovery go "through the general office": they must reach the unit's office (its clerks or its general
    office channel, Art. 10); the group's general office channels get a copy."""
    unit = incident.unit
    if kind == NoticeKind.LEADER_REPORT and (grade or incident.grade) in SEVERE_GRADES:
        return [
            Addressees(
                notify.user_recipients(org.accounts_holding(Role.LEADER, [each.pk])),
                _("no leader in charge of %(unit)s has a channel") % {"unit": each.name},
            )
            for each in [unit, *_group_units(incident)]
        ]
    if kind in (NoticeKind.LEADER_REPORT, NoticeKind.VENDOR_CALL):
        groups = [unit] if unit.kind == UnitKind.GROUP else _group_units(incident)
        return [
            Addressees(
                notify.user_recipients(org.accounts_holding(Role.SYSTEM_LEAD, [each.pk for each in groups])),
                _("no system management lead of %(unit)s has a channel")
                % {"unit": "、".join(each.name for each in groups)},
            )
        ]
    office = notify.user_recipients(org.accounts_holding(Role.CLERK, [unit.pk]))
    office += notify.announcement_channels([unit.pk])
    groups = _group_units(incident)
    return [
        Addressees(
            office,
            _("no clerk of %(unit)s has a channel and %(unit)s has no general office channel")
            % {"unit": unit.name},
        ),
        Addressees(notify.announcement_channels([each.pk for each in groups]), "", counts=False),
    ]


def recipients_for(incident: Incident, kind: str, grade: str | None = None) -> list:
    """Everyone a notice goes to (see `addressees`), each once."""
    recipients = [r for group in addressees(incident, kind, grade) for r in group.recipients]
    return list(dict.fromkeys(recipients))


def _named(incident: Incident, kind: str, grade: str | None = None) -> tuple[list, list[Addressees]]:
    groups = [group for group in addressees(incident, kind, grade) if group.counts]
    return [r for group in groups for r in group.recipients], groups


def _why_unreachable(incident: Incident, groups: list[Addressees]) -> str:
    return str(_("; ")).join(
        group.unreachable for group in groups if not notify.reachable(group.recipients, incident.unit_id)
    )


# Art. 13: a notice counts only when it reached somebody the rule names.
UNREACHABLE = {
    NoticeKind.LEADER_REPORT: _lazy("Art. 13: the leader report must reach somebody, but %(why)s."),
    NoticeKind.SUSPENSION: _lazy("Art. 13: the suspension notice must reach somebody, but %(why)s."),
}
NOT_REACHED = {
    NoticeKind.LEADER_REPORT: _lazy(
        "Art. 13: the leader report reached nobody yet; it can reach somebody now: send it again."
    ),
    NoticeKind.SUSPENSION: _lazy(
        "Art. 13: the suspension notice reached nobody yet; it can reach somebody now: send it again."
    ),
}
HOW_TO_REACH = _lazy(
    "To reach them: give the people an e-mail address and the unit or the group an e-mail server (an "
    "e-mail channel), or a robot channel in their notification preferences; for the suspension notice, "
    "name a clerk of the unit or give the unit a general office channel. Then send the notice again."
)


def reach_failure(incident: Incident, kind: str, *, event_key: str | None = None, grade=None) -> str | None:
    """Why the notice does not count: None when it reached somebody the rule names (`event_key` given),
    or when it can reach somebody now (no key)."""
    named, groups = _named(incident, kind, grade)
    if event_key is not None and notify.reached(event_key, named, incident.unit_id):
        return None
    if notify.reachable(named, incident.unit_id):
        if event_key is None:
            return None
        return str(NOT_REACHED.get(kind, NOT_REACHED[NoticeKind.LEADER_REPORT]))
    message = UNREACHABLE.get(kind, UNREACHABLE[NoticeKind.LEADER_REPORT])
    return str(message) % {"why": _why_unreachable(incident, groups)}


def _leader_report_keys(incident: Incident) -> list[str]:
    """The leader reports that answer the current grade: of this grade or a more severe one."""
    grades = [g for g in SEVERE_GRADES if Grade(g).rank <= Grade(incident.grade).rank]
    return [f"incident:{incident.pk}:{NoticeKind.LEADER_REPORT}:{grade}" for grade in grades]


def notice_gate(incident: Incident, kind: str) -> str | None:
    """Why the flow's gate of this notice is not met (Art. 13), or None: the leader report of a grade Ⅰ or
    Ⅱ fault, the suspension notice of a plan that suspends service. Met when the notice reached somebody
    the rule names: a delivery to them succeeded or is queued on a working channel."""
    if kind == NoticeKind.LEADER_REPORT:
        keys = list(
            incident.notices.filter(event_key__in=_leader_report_keys(incident)).values_list(
                "event_key", flat=True
            )
        )
        if not keys:
            return _("A fault of %(grade)s needs the leader report notice first.") % {
                "grade": Grade(incident.grade).label
            }
    else:
        keys = list(incident.notices.filter(kind=kind).values_list("event_key", flat=True))
        if not keys:
            return _("The plan says service must be suspended: send the suspension notice first.")
    failures = [reach_failure(incident, kind, event_key=key) for key in keys]
    return None if None in failures else failures[0]


def notice_refusal(incident: Incident, kind: str) -> str | None:
    """Why the notice cannot be sent by hand now, or None (the page disables the button with it)."""
    suffix = f":{incident.grade}" if kind == NoticeKind.LEADER_REPORT else ""
    key = f"incident:{incident.pk}:{kind}{suffix}"
    if Notice.objects.filter(event_key=key).exists() and reach_failure(incident, kind, event_key=key) is None:
        return _("This notice has already been sent.")
    return reach_failure(incident, kind)


def write_notice(
    incident: Incident, kind: str, *, actor, now=None, key_suffix: str = "", by_hand: bool = False
) -> Notice:
    """Write the notice and hand it to notify. Sent by the flow itself (a report, a raised grade, the
    restore, a vendor call) it is written whoever it reaches, and the gate that needs it says so; sent by
    hand it is refused when nobody the rule names can be reached, and may be sent again when the first one
    reached nobody."""
    event_key = f"incident:{incident.pk}:{kind}{key_suffix}"
    grade = key_suffix.lstrip(":") if kind == NoticeKind.LEADER_REPORT and key_suffix else None
    notice = Notice.objects.filter(event_key=event_key).first()
    if notice is not None and (
        not by_hand or reach_failure(incident, kind, event_key=event_key, grade=grade) is None
    ):
        raise TransitionNotAllowed(_("This notice has already been sent."), field="kind")
    if by_hand:
        reason = reach_failure(incident, kind, grade=grade)
        if reason:
            raise TransitionNotAllowed(reason, field="kind")
    now = now or timezone.now()
    again = notice is not None
    subject, body = _render(incident, kind)
    if notice is None:
        notice = Notice.objects.create(
            incident=incident,
            kind=kind,
            event_key=event_key,
            subject=subject,
            body=body,
            sent_by=actor if actor is not None and actor.pk else None,
            sent_at=now,
        )
    add_event(
        incident,
        EventKind.NOTICE,
        actor=actor,
        at=now,
        notice=notice.pk,
        notice_kind=kind,
        event_key=event_key,
        again=again,
    )
    audit.record(
        "update", actor=actor, obj=incident, after={"notice": kind, "event_key": event_key, "again": again}
    )
    notify.send(
        event_key=event_key,
        unit_id=incident.unit_id,
        recipients=recipients_for(incident, kind, grade),
        subject=subject,
        body=body,
        urgent=incident.grade in SEVERE_GRADES,
        again=again,
    )
    return notice


def report_to_leader(incident: Incident, *, actor, grade: str, now=None) -> Notice | None:
    """The leader report of this grade (Art. 13: 向主管领导汇报), once per grade; None when already sent."""
    if Notice.objects.filter(event_key=f"incident:{incident.pk}:{NoticeKind.LEADER_REPORT}:{grade}").exists():
        return None
    return write_notice(incident, NoticeKind.LEADER_REPORT, actor=actor, now=now, key_suffix=f":{grade}")


def report_vendor_call(incident: Incident, escalation_id: int, *, actor, now=None) -> Notice:
    """Art. 13: a vendor called in because the fault cannot be handled alone is reported to the system
    management lead."""
    suffix = f":{escalation_id}"
    return write_notice(incident, NoticeKind.VENDOR_CALL, actor=actor, now=now, key_suffix=suffix)


@transaction.atomic
def send_notice(incident: Incident, kind: str, *, actor, now: datetime.datetime | None = None) -> Notice:
    """Send a notice of the flow by hand: the suspension notice, or the leader report; again when the
    first one reached nobody. Refused with the reason when nobody the rule names can be reached."""
    if kind not in (NoticeKind.SUSPENSION, NoticeKind.LEADER_REPORT):
        raise DomainError(_("This notice is sent by the flow itself."), field="kind")
    require_staff(actor, incident)
    locked = lock_incident(incident)
    if locked.state not in OPEN_STATES:
        raise TransitionNotAllowed(_("Notices of the handling are sent while the fault is open."))
    suffix = f":{locked.grade}" if kind == NoticeKind.LEADER_REPORT else ""
    notice = write_notice(locked, kind, actor=actor, key_suffix=suffix, now=now, by_hand=True)
    records.save_version(locked)
    return notice


# -- alerts to the staff --------------------------------------------------------------------------
# Not notices of Art. 13 (no Notice row, nothing the general office sends): a new fault and a missed SLA
# deadline are told to whoever handles the unit's faults, through notify, in the transaction of the
# event that causes them, keyed by that event so each goes out once.

STAFF_TEMPLATES = {
    "reported": {
        "zh-hans": (
            "【新故障】{code} {grade}级：{title}",
            "{unit}报告了故障：{title}，开始于{started_at}，等级{grade}。请尽快确认并处理。",
        ),
        "en": (
            "[New fault] {code} grade {grade}: {title}",
            "A fault is reported at {unit}: {title}, since {started_at}, grade {grade}. "
            "Please acknowledge and handle it.",
        ),
    },
    Deadline.ACKNOWLEDGE: {
        "zh-hans": (
            "【超时未确认】{code} {title}",
            "{unit}的{grade}级故障（{title}）已超过确认时限{due_at}，仍未确认。",
        ),
        "en": (
            "[Not acknowledged in time] {code} {title}",
            "The grade {grade} fault of {unit} ({title}) was due to be acknowledged by {due_at} "
            "and still is not.",
        ),
    },
    Deadline.RESTORE: {
        "zh-hans": (
            "【超时未恢复】{code} {title}",
            "{unit}的{grade}级故障（{title}）已超过恢复时限{due_at}，仍未恢复。",
        ),
        "en": (
            "[Not restored in time] {code} {title}",
            "The grade {grade} fault of {unit} ({title}) was due to be restored by {due_at} "
            "and still is not.",
        ),
    },
}


def _local(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def handler_accounts(incident: Incident) -> list[int]:
    """Who handles the fault: the active members of its team when it has one with an account, else the
    technical staff (系统技术管理人员) of its unit and of the group."""
    if incident.team_id:
        members = list(
            Person.objects.filter(
                team_id=incident.team_id, is_active=True, account__isnull=False
            ).values_list("account_id", flat=True)
        )
        if members:
            return members
    return org.accounts_holding(Role.TECH_STAFF, [incident.unit_id, *group_unit_ids()])


def _alert_staff(incident: Incident, *, event_key: str, template: str, accounts, due_at=None) -> list:
    values = {
        "code": incident.code,
        "title": incident.title,
        "unit": incident.unit.name,
        "started_at": _local(incident.started_at),
        "grade": incident.grade,
        "due_at": _local(due_at),
    }
    subject = {language: s.format(**values) for language, (s, _b) in STAFF_TEMPLATES[template].items()}
    body = {language: b.format(**values) for language, (_s, b) in STAFF_TEMPLATES[template].items()}
    return notify.send(
        event_key=event_key,
        unit_id=incident.unit_id,
        recipients=notify.user_recipients(accounts),
        subject=subject,
        body=body,
        urgent=incident.grade in SEVERE_GRADES,
    )


def tell_staff_of_report(incident: Incident, *, actor) -> list:
    """A new fault: its team, or the technical staff of its unit and the group, are told (not the
    reporter, who knows)."""
    reporter = actor.pk if actor is not None and actor.pk else None
    accounts = [pk for pk in handler_accounts(incident) if pk != reporter]
    return _alert_staff(
        incident, event_key=f"incident:{incident.pk}:reported", template="reported", accounts=accounts
    )


def tell_of_breach(incident: Incident, deadline: str, *, due_at: datetime.datetime) -> list:
    """A missed deadline: the assignee, the team (or technical staff) and the group's system management
    lead are told, once per deadline."""
    accounts = [
        incident.assignee.account_id if incident.assignee_id else None,
        *handler_accounts(incident),
        *org.accounts_holding(Role.SYSTEM_LEAD, group_unit_ids()),
    ]
    return _alert_staff(
        incident,
        event_key=f"incident:{incident.pk}:sla:{deadline}",
        template=deadline,
        accounts=accounts,
        due_at=due_at,
    )
