"""The notices of Art. 13 (suspension, recovery, leader report), rendered from the plan's templates."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.core import records
from yunwei.core.errors import DomainError, TransitionNotAllowed
from yunwei.notify import services as notify
from yunwei.org import services as org
from yunwei.org.choices import Role
from yunwei.org.models import Person

from ..choices import OPEN_STATES, Deadline, EventKind, NoticeKind
from ..models import (
    Incident,
    Notice,
)
from .common import SEVERE_GRADES, _event, _locked, _require_staff, group_unit_ids

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


def recipients_for(incident: Incident, kind: str) -> list:
    """Leader report: the unit's leaders in charge. Suspension and recovery (Art. 13, "through the general
    office"): the unit's clerks and the general office channels of the unit and of the group."""
    if kind == NoticeKind.LEADER_REPORT:
        return notify.user_recipients(org.accounts_holding(Role.LEADER, [incident.unit_id]))
    clerks = notify.user_recipients(org.accounts_holding(Role.CLERK, [incident.unit_id]))
    return clerks + notify.announcement_channels([incident.unit_id, *group_unit_ids()])


def _send_notice(incident: Incident, kind: str, *, actor, now=None, key_suffix: str = "") -> Notice:
    event_key = f"incident:{incident.pk}:{kind}{key_suffix}"
    if Notice.objects.filter(event_key=event_key).exists():
        raise TransitionNotAllowed(_("This notice has already been sent."), field="kind")
    subject, body = _render(incident, kind)
    now = now or timezone.now()
    notice = Notice.objects.create(
        incident=incident,
        kind=kind,
        event_key=event_key,
        subject=subject,
        body=body,
        sent_by=actor if actor is not None and actor.pk else None,
        sent_at=now,
    )
    _event(
        incident,
        EventKind.NOTICE,
        actor=actor,
        at=now,
        notice=notice.pk,
        notice_kind=kind,
        event_key=event_key,
    )
    audit.record("update", actor=actor, obj=incident, after={"notice": kind, "event_key": event_key})
    notify.send(
        event_key=event_key,
        unit_id=incident.unit_id,
        recipients=recipients_for(incident, kind),
        subject=subject,
        body=body,
        urgent=incident.grade in SEVERE_GRADES,
    )
    return notice


def _leader_report(incident: Incident, *, actor, grade: str, now=None) -> Notice | None:
    if Notice.objects.filter(event_key=f"incident:{incident.pk}:{NoticeKind.LEADER_REPORT}:{grade}").exists():
        return None
    return _send_notice(incident, NoticeKind.LEADER_REPORT, actor=actor, now=now, key_suffix=f":{grade}")


@transaction.atomic
def send_notice(incident: Incident, kind: str, *, actor, now: datetime.datetime | None = None) -> Notice:
    """Send a notice of the flow by hand: the suspension notice, or the leader report."""
    if kind not in (NoticeKind.SUSPENSION, NoticeKind.LEADER_REPORT):
        raise DomainError(_("This notice is sent by the flow itself."), field="kind")
    _require_staff(actor, incident)
    locked = _locked(incident)
    if locked.state not in OPEN_STATES:
        raise TransitionNotAllowed(_("Notices of the handling are sent while the fault is open."))
    suffix = f":{locked.grade}" if kind == NoticeKind.LEADER_REPORT else ""
    notice = _send_notice(locked, kind, actor=actor, key_suffix=suffix, now=now)
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
