"""Telling the system management lead that the background machinery stopped, and that it is back.

The notice must not depend on the process that stopped, so the web process sends it itself: when a
request finds a part late (`yunwei.core.watch`, cached a few seconds), it claims the outage with a
conditional update of the part's alarm row and, only if it won the claim, writes the notice through
`yunwei.notify` with `now_in_this_process=True`: the delivery rows are the usual outbox (the record,
retried by the sweeper once workers are back), but the first attempt is made here, right after commit,
not queued for a worker that may be dead. One notice per outage, one on recovery.
"""

import logging

from django.db import transaction
from django.utils import timezone

from yunwei.core import watch
from yunwei.notify import services as notify
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Unit
from yunwei.org.services import accounts_holding

log = logging.getLogger(__name__)

# The texts are stored in both languages with the notice (as every notice of the product).
NOTICES = {
    "late": {
        "zh-hans": (
            "【后台停止】{part}已超过两个周期未报告",
            "运维平台的{part}自{since}起没有心跳（每{tick}秒一次）。依赖它的提醒、升级和检测都已停止，请检查后台进程。",
        ),
        "en": (
            "[Background stopped] the {part} is more than two ticks late",
            "Yunwei's {part} has left no heartbeat since {since} (one every {tick} s). The reminders, "
            "escalations and checks that depend on it have stopped: please check the background processes.",
        ),
    },
    "back": {
        "zh-hans": ("【后台恢复】{part}已恢复", "运维平台的{part}于{at}重新报告心跳（自{since}起停止）。"),
        "en": (
            "[Background back] the {part} runs again",
            "Yunwei's {part} left a heartbeat again at {at} (silent since {since}).",
        ),
    },
}
PART_NAMES = {
    "zh-hans": {"scheduler": "调度器", "worker": "后台任务进程"},
    "en": {"scheduler": "scheduler", "worker": "worker"},
}


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def lead_accounts() -> list[int]:
    """The system management leads posted at the group (they lead the O&M of every unit)."""
    group_ids = list(Unit.objects.filter(kind=UnitKind.GROUP).values_list("pk", flat=True))
    return accounts_holding(Role.SYSTEM_LEAD, group_ids)


def _tell(kind: str, part_state: watch.PartState, since) -> list:
    values = {
        "since": _local(since),
        "at": _local(part_state.last_seen),
        "tick": int(watch.TICK.total_seconds()),
    }
    templates = NOTICES[kind]
    group = Unit.objects.filter(kind=UnitKind.GROUP).order_by("pk").values_list("pk", flat=True).first()
    return notify.send(
        event_key=f"watch:{part_state.part}:{kind}:{since:%Y%m%dT%H%M%S}",
        unit_id=group,
        recipients=notify.user_recipients(lead_accounts()),
        subject={
            lang: s.format(part=PART_NAMES[lang][part_state.part], **values)
            for lang, (s, _b) in templates.items()
        },
        body={
            lang: b.format(part=PART_NAMES[lang][part_state.part], **values)
            for lang, (_s, b) in templates.items()
        },
        urgent=True,
        now_in_this_process=True,
    )


def tell_lead(states: dict[str, watch.PartState]) -> list:
    """Claim and tell each outage not told yet and each recovery of a told one; returns the deliveries.

    The claim and the notice's rows commit together; the deliveries are attempted right after.
    """
    sent = []
    for part_state in states.values():
        with transaction.atomic():
            if part_state.late and part_state.down_since is None:
                if watch.claim_outage(part_state.part, part_state.last_seen):
                    sent += _tell("late", part_state, part_state.last_seen)
            elif not part_state.late and part_state.down_since is not None:  # noqa: SIM102 - claim, then tell
                if watch.claim_recovery(part_state.part, part_state.down_since):
                    sent += _tell("back", part_state, part_state.down_since)
    return sent
