"""Telling the items' teams that a maintenance window began or ended (Art. 18, our reading; issue 22):
the windows of a change and each occurrence of a recurring window.

A periodic sweep (`tell_windows`, beaten every minute) looks for the edges — starts and ends — that
passed within `LOOKBACK`. Each edge of each occurrence is claimed by inserting its `WindowNotice` row,
unique per window, occurrence and edge, in the same transaction as its notices: a rerun of the sweep or a
second worker finds the row (or waits on it, then fails to insert it) and tells nothing. An edge found
more than `LATE_AFTER` after it passed (the scheduler was down over it) is told late, and the notice says
so; one older than `LOOKBACK`, or the start of an occurrence already over, is not told at all.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from yunwei.notify import services as notify
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Person, Unit
from yunwei.org.services import accounts_holding

from . import schedule
from .models import MaintenanceWindow, RecurringWindow, WindowNotice

# An edge passed longer ago than this is not told any more (a scheduler down for a day tells no stale news).
LOOKBACK = datetime.timedelta(hours=2)
# The sweep runs every minute: an edge found later than this after it passed is told as late.
LATE_AFTER = datetime.timedelta(minutes=3)
ITEMS_SHOWN = 20

START, END = WindowNotice.Edge.START, WindowNotice.Edge.END

CHANGE_TEXT = {
    START: {
        "zh-hans": (
            "【维护窗口开始】{change} {title}",
            "变更{change}“{title}”的维护窗口已开始（{start}至{end}），涉及：{items}。窗口内这些配置项的告警只记录、"
            "不立案、不通知；窗口结束时仍未恢复的，将立案并关联此变更为疑似原因。",
        ),
        "en": (
            "[Window started] {change} {title}",
            "The maintenance window of change {change} “{title}” has started ({start} to {end}) for: "
            "{items}. Inside it their alerts are recorded only, with no incident and no notice; those still "
            "failing when it ends open an incident with this change as suspected cause.",
        ),
    },
    END: {
        "zh-hans": (
            "【维护窗口结束】{change} {title}",
            "变更{change}“{title}”的维护窗口已于{end}结束，涉及：{items}。仍未恢复的告警已重新评估。",
        ),
        "en": (
            "[Window ended] {change} {title}",
            "The maintenance window of change {change} “{title}” ended at {end} for: {items}. Signals "
            "still failing were evaluated again.",
        ),
    },
}
RECURRING_TEXT = {
    START: {
        "zh-hans": (
            "【周期维护窗口开始】{name}",
            "周期维护窗口“{name}”本次已开始（{start}至{end}，时区{zone}），涉及：{items}。窗口内这些配置项的告警"
            "只记录、不立案、不通知；窗口结束时仍未恢复的，将重新评估并立案。",
        ),
        "en": (
            "[Recurring window started] {name}",
            "This occurrence of the recurring maintenance window “{name}” has started ({start} to {end}, "
            "time zone {zone}) for: {items}. Inside it their alerts are recorded only, with no incident and "
            "no notice; those still failing when it ends are evaluated again and open an incident.",
        ),
    },
    END: {
        "zh-hans": (
            "【周期维护窗口结束】{name}",
            "周期维护窗口“{name}”本次已于{end}（时区{zone}）结束，涉及：{items}。仍未恢复的告警已重新评估。",
        ),
        "en": (
            "[Recurring window ended] {name}",
            "This occurrence of the recurring maintenance window “{name}” ended at {end} (time zone {zone}) "
            "for: {items}. Signals still failing were evaluated again.",
        ),
    },
}
LATE_TEXT = {
    "zh-hans": "（补发通知：窗口实际于{moment}{edge}，当时调度未运行，未能按时通知。）",
    "en": "(Told late: the window really {edge} at {moment}; the scheduler was not running then.)",
}
LATE_EDGE = {
    START: {"zh-hans": "开始", "en": "started"},
    END: {"zh-hans": "结束", "en": "ended"},
}


def team_accounts(team_id: int | None, unit_id: int) -> list[int]:
    """The active members with an account of the items' team; without one, the technical staff of the
    items' unit and of the group (as the checks' notices)."""
    if team_id:
        members = list(
            Person.objects.filter(team_id=team_id, is_active=True, account__isnull=False).values_list(
                "account_id", flat=True
            )
        )
        if members:
            return members
    group_ids = list(Unit.objects.filter(kind=UnitKind.GROUP).values_list("pk", flat=True))
    return accounts_holding(Role.TECH_STAFF, [unit_id, *group_ids])


def _local(moment: datetime.datetime, zone=None) -> str:
    return timezone.localtime(moment, zone).strftime("%Y-%m-%d %H:%M")


def _items_text(items) -> str:
    text = "、".join(f"{item.code} {item.name}" for item in items[:ITEMS_SHOWN])
    return text + ("…" if len(items) > ITEMS_SHOWN else "")


def _by_team(items) -> dict[tuple, list]:
    """The items grouped by the team told of them: (owner team id, unit id) → items."""
    groups: dict[tuple, list] = {}
    for item in sorted(items, key=lambda each: each.code):
        groups.setdefault((item.owner_team_id, item.unit_id), []).append(item)
    return groups


def _tell(*, claim: dict, prefix: str, texts: dict, values: dict, items, moment, now, zone=None) -> int:
    """Claim one edge of one occurrence and tell each team of its items, all in one transaction; how many
    notices were written (0: told before, by this sweep's earlier run or by another worker)."""
    late = now - moment > LATE_AFTER
    edge = claim["edge"]
    occurrence = claim["occurrence_start"]
    keys = []
    try:
        with transaction.atomic():
            record = WindowNotice.objects.create(**claim, told_at=now, late=late)
            for (team_id, unit_id), rows in _by_team(items).items():
                filled = {**values, "items": _items_text(rows)}
                subject, body = {}, {}
                for language, (subject_text, body_text) in texts[edge].items():
                    subject[language] = subject_text.format(**filled)
                    body[language] = body_text.format(**filled)
                    if late:
                        body[language] += "\n" + LATE_TEXT[language].format(
                            moment=_local(moment, zone), edge=LATE_EDGE[edge][language]
                        )
                whom = f"t{team_id}" if team_id else f"u{unit_id}"
                key = f"{prefix}:window:{edge}:{whom}:{occurrence.astimezone(datetime.UTC):%Y%m%dT%H%M%S}"
                notify.send(
                    event_key=key,
                    unit_id=unit_id,
                    recipients=notify.user_recipients(team_accounts(team_id, unit_id)),
                    subject=subject,
                    body=body,
                )
                keys.append(key)
            record.event_keys = keys
            record.save(update_fields=["event_keys"])
    except IntegrityError:
        return 0  # another worker claimed this edge first and told it
    return len(keys)


def _edges(start, end, now, since) -> list[tuple[str, datetime.datetime]]:
    """The edges of the occurrence [start, end) to tell now: a start that passed within the look-back
    while the occurrence is still open, an end that passed within it."""
    edges = []
    if since < start <= now < end:
        edges.append((START, start))
    if since < end <= now:
        edges.append((END, end))
    return edges


def tell_change_windows(now: datetime.datetime) -> int:
    since = now - LOOKBACK
    rows = (
        MaintenanceWindow.objects.filter(
            Q(starts_at__gt=since, starts_at__lte=now, ends_at__gt=now)
            | Q(ends_at__gt=since, ends_at__lte=now)
        )
        .select_related("change", "item")
        .order_by("change_id", "starts_at", "item__code")
    )
    # The windows of one change over one span are one occurrence (a moved window is a new one).
    spans: dict[tuple, list] = {}
    for row in rows:
        spans.setdefault((row.change_id, row.starts_at, row.ends_at), []).append(row)
    written = 0
    for (change_id, start, end), windows in spans.items():
        change = windows[0].change
        values = {"change": change.code, "title": change.title, "start": _local(start), "end": _local(end)}
        done = set(
            WindowNotice.objects.filter(window_key=f"change:{change_id}", occurrence_start=start).values_list(
                "edge", flat=True
            )
        )
        for edge, moment in _edges(start, end, now, since):
            if edge in done:
                continue
            written += _tell(
                claim={
                    "window_key": f"change:{change_id}",
                    "change": change,
                    "occurrence_start": start,
                    "occurrence_end": end,
                    "edge": edge,
                },
                prefix=f"change:{change_id}",
                texts=CHANGE_TEXT,
                values=values,
                items=[window.item for window in windows],
                moment=moment,
                now=now,
            )
    return written


def tell_recurring_windows(now: datetime.datetime) -> int:
    since = now - LOOKBACK
    longest = datetime.timedelta(minutes=7 * 24 * 60)
    candidates = RecurringWindow.objects.filter(
        starts_on__lte=now.date() + datetime.timedelta(days=1)
    ).filter(
        Q(ends_on__isnull=True)
        | Q(ends_on__gte=(now - longest - LOOKBACK).date() - datetime.timedelta(days=1))
    )
    written = 0
    for window in candidates.prefetch_related("items").order_by("pk"):
        items = list(window.items.all())
        if not items:
            continue
        for start, end in schedule.occurrences(window, since, now + datetime.timedelta(seconds=1)):
            edges = _edges(start, end, now, since)
            if not edges:
                continue
            done = set(
                WindowNotice.objects.filter(
                    window_key=f"recurring:{window.pk}", occurrence_start=start
                ).values_list("edge", flat=True)
            )
            zone = start.tzinfo
            values = {
                "name": window.name,
                "zone": window.time_zone,
                "start": _local(start, zone),
                "end": _local(end, zone),
            }
            for edge, moment in edges:
                if edge in done:
                    continue
                written += _tell(
                    claim={
                        "window_key": f"recurring:{window.pk}",
                        "recurring": window,
                        "occurrence_start": start,
                        "occurrence_end": end,
                        "edge": edge,
                    },
                    prefix=f"recurring:{window.pk}",
                    texts=RECURRING_TEXT,
                    values=values,
                    items=items,
                    moment=moment,
                    now=now,
                    zone=zone,
                )
    return written


def tell_windows(now: datetime.datetime | None = None) -> int:
    """Tell the teams of every window edge due now, of changes and recurring windows; notices written."""
    now = now or timezone.now()
    return tell_change_windows(now) + tell_recurring_windows(now)
