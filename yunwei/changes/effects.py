"""What scheduling a change sets off: the maintenance windows of its radius and, when service is affected,
the notice to every affected unit's users through the notify outbox (Art. 18, our reading)."""

import datetime

from django.utils import timezone

from yunwei.audit import services as audit
from yunwei.cmdb.models import Item
from yunwei.core import records
from yunwei.notify import services as notify
from yunwei.notify.choices import ChannelKind
from yunwei.notify.models import Channel
from yunwei.org import services as org
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Unit

from . import schedule
from .choices import (
    EventKind,
    ServiceImpact,
    State,
)
from .models import Change
from .rules import add_event, missing_roles


def open_windows(change: Change, *, actor, now, start=None) -> None:
    start = start or change.planned_start or now
    end = (
        change.planned_end
        if change.planned_end and change.planned_end > start
        else start + datetime.timedelta(hours=1)
    )
    count = schedule.write_windows(change, start, end)
    add_event(change, EventKind.WINDOWS, actor=actor, at=now, items=count, starts_at=start, ends_at=end)


def move_window(change: Change, start, end, *, actor, now, comment: str = "") -> None:
    """Set the change's window to [start, end) (the row is locked by the caller). A scheduled change
    takes its maintenance windows along and the affected units are told again; an approved one only
    gets the new window, checked when it is scheduled."""
    before = {"planned_start": change.planned_start, "planned_end": change.planned_end}
    change.planned_start, change.planned_end = start, end
    change.requested_start = change.requested_end = None
    records.save_version(change, "planned_start", "planned_end", "requested_start", "requested_end")
    add_event(
        change,
        EventKind.EDIT,
        actor=actor,
        at=now,
        comment=comment,
        fields=["planned_start", "planned_end"],
        **{"from": before},
    )
    audit.record(
        "update",
        actor=actor,
        obj=change,
        before=before,
        after={"planned_start": start, "planned_end": end},
        comment=comment,
    )
    if change.state == State.SCHEDULED:
        open_windows(change, actor=actor, now=now)
        notify_users(change, actor=actor, now=now)


# -- notices --------------------------------------------------------------------------------------

NOTICE_TEXT = {
    "zh-hans": (
        "【变更通知】{title}",
        "{unit}将于{start}至{end}实施系统变更（{title}），期间{impact}。受影响的应用：{apps}。请提前做好安排。",
    ),
    "en": (
        "[Change notice] {title}",
        "{unit} will carry out a change ({title}) from {start} to {end}; meanwhile {impact}. "
        "Affected applications: {apps}. Please plan ahead.",
    ),
}
IMPACT_TEXT = {
    ServiceImpact.DEGRADED: {"zh-hans": "系统服务将受到影响", "en": "the service will be degraded"},
    ServiceImpact.OUTAGE: {"zh-hans": "系统将暂停服务", "en": "the service will be unavailable"},
}
NOTICE_ROLES = (Role.CLERK, Role.USER, Role.LEADER)


def notice_recipients(unit_id: int) -> list:
    """The unit's users (its clerks pass it on as the general office does) and its robot channels."""
    recipients = notify.user_recipients(org.accounts_holding(NOTICE_ROLES, [unit_id]))
    channels = Channel.objects.filter(unit_id=unit_id, enabled=True).exclude(kind=ChannelKind.EMAIL)
    recipients += [
        notify.Recipient("channel", str(pk)) for pk in channels.order_by("pk").values_list("pk", flat=True)
    ]
    return recipients


def notify_users(change: Change, *, actor, now, start=None, end=None) -> None:
    """Tell the users of every affected unit beforehand when the change affects service. `start`/`end`:
    the window the work really holds when it differs from the planned one (an emergency change carried
    out at once)."""
    if change.service_impact == ServiceImpact.NONE:
        return
    start, end = start or change.planned_start, end or change.planned_end
    apps = (
        ", ".join(
            Item.objects.filter(pk__in=change.radius_item_ids, domain="application")
            .order_by("code")
            .values_list("name", flat=True)[:10]
        )
        or "—"
    )
    values = {
        "title": change.title,
        "unit": change.unit.name,
        "start": timezone.localtime(start).strftime("%Y-%m-%d %H:%M"),
        "end": timezone.localtime(end).strftime("%Y-%m-%d %H:%M"),
        "apps": apps,
    }
    subject, body = {}, {}
    for language, (subject_text, body_text) in NOTICE_TEXT.items():
        subject[language] = subject_text.format(**values)
        body[language] = body_text.format(**values, impact=IMPACT_TEXT[change.service_impact][language])
    sequence = change.events.filter(kind=EventKind.NOTICE).count() + 1
    units = sorted({change.unit_id, *change.radius_unit_ids})
    keys = []
    for unit_id in units:
        key = f"change:{change.pk}:notice:{sequence}:{unit_id}"
        notify.send(
            event_key=key,
            unit_id=unit_id,
            recipients=notice_recipients(unit_id),
            subject=subject,
            body=body,
            urgent=change.service_impact == ServiceImpact.OUTAGE,
        )
        keys.append(key)
    add_event(change, EventKind.NOTICE, actor=actor, at=now, units=units, event_keys=keys)


# -- emergency approvals past due ------------------------------------------------------------------

OVERDUE_TEXT = {
    "zh-hans": (
        "【紧急变更待补批】{code} {title}",
        "{unit}的紧急变更 {code}（{title}）已先行实施，应于 {due} 前补办审批，至今未获批准。",
    ),
    "en": (
        "[Emergency change awaiting approval] {code} {title}",
        "Emergency change {code} ({title}) of {unit} was carried out first; its approval was due by {due} "
        "and has not come in.",
    ),
}


def approver_accounts(change: Change) -> list[int]:
    """Accounts holding a role whose approval is still missing, in the change's unit or at the group."""
    groups = Unit.objects.filter(kind=UnitKind.GROUP).values_list("pk", flat=True)
    return org.accounts_holding(missing_roles(change), [change.unit_id, *groups])


ASK_TEXT = {
    "zh-hans": (
        "【变更待审批】{code} {title}",
        "{unit}的变更 {code}（{title}）已提交，等待您的审批。计划窗口：{start}。",
    ),
    "en": (
        "[Change awaiting your approval] {code} {title}",
        "Change {code} ({title}) of {unit} is submitted and waits for your approval. "
        "Planned window: {start}.",
    ),
}


def ask_approvers(change: Change) -> list[int]:
    """Ask the approvers whose approval the change needs (Art. 18): a notice to each, in their inbox
    too, once per round of approvals; the requester is never asked to approve their own change."""
    accounts = [pk for pk in approver_accounts(change) if pk != change.requester_id]
    start = (
        timezone.localtime(change.planned_start).strftime("%Y-%m-%d %H:%M") if change.planned_start else "—"
    )
    values = {"code": change.code, "title": change.title, "unit": change.unit.name, "start": start}
    notify.send(
        event_key=f"change:{change.pk}:approval-asked:{change.approval_round}",
        unit_id=change.unit_id,
        recipients=notify.user_recipients(accounts),
        subject={language: subject.format(**values) for language, (subject, _body) in ASK_TEXT.items()},
        body={language: body.format(**values) for language, (_subject, body) in ASK_TEXT.items()},
    )
    return accounts


def remind_approvers(change: Change, *, now) -> list[int]:
    """Tell the missing approvers that the emergency change's approval is past due; the accounts told."""
    accounts = approver_accounts(change)
    values = {
        "code": change.code,
        "title": change.title,
        "unit": change.unit.name,
        "due": timezone.localtime(change.approval_due_at).strftime("%Y-%m-%d %H:%M"),
    }
    notify.send(
        event_key=f"change:{change.pk}:approval-overdue",
        unit_id=change.unit_id,
        recipients=notify.user_recipients(accounts),
        subject={language: subject.format(**values) for language, (subject, _body) in OVERDUE_TEXT.items()},
        body={language: body.format(**values) for language, (_subject, body) in OVERDUE_TEXT.items()},
        urgent=True,
    )
    return accounts
