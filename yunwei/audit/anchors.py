"""The audit chain's head written outside the database (Art. 11), and verification against it.

Someone with write access to the database can rewrite the tail of the chain and recompute every hash
and the head row: the chain then verifies as intact. A copy of the head kept where the database cannot
reach — an append-only file under `var/` and, when configured, syslog on another machine — catches
that: the event at an anchor's number must still carry the anchor's hash.

A full verification walks the whole chain and compares every anchor on the way; the nightly one
starts at the last anchor (whose event must still carry its hash) and walks only what came after it,
so its cost follows the day's events rather than the whole history. The weekly full walk finds what an
incremental one cannot: an old event altered without its hash recomputed.

Anchors copy the head, which only the sealer moves: they name sealed events. A verification also says
how fresh the seal is (events still waiting for it, the oldest's age) and fails when one has waited
longer than `AUDIT_SEAL_LIMIT`: until it is sealed, the chain does not protect it.
"""

import datetime
import json
import logging
import logging.handlers
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from . import services
from .models import GENESIS_HASH, AuditChainHead, AuditEvent, ChainCheck

# The anchor file's last line is found by reading this much of its end.
_TAIL_BYTES = 4096
# What the check records when the chain disagrees with a head written outside.
REWRITTEN = "rewritten"
UNREADABLE = "anchors"


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: datetime.datetime

    def line(self) -> str:
        return json.dumps({"seq": self.seq, "hash": self.hash, "at": self.at.isoformat()}, sort_keys=True)

    @classmethod
    def parse(cls, line: str) -> "Anchor":
        data = json.loads(line)
        return cls(int(data["seq"]), str(data["hash"]), datetime.datetime.fromisoformat(data["at"]))


class AnchorFileError(Exception):
    """The anchor file has a line that is not an anchor: the file itself was tampered with or cut."""


def anchor_file() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def read_anchors() -> list[Anchor]:
    path = anchor_file()
    if not path.exists():
        return []
    anchors = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                anchors.append(Anchor.parse(line))
            except (ValueError, KeyError, TypeError) as error:
                raise AnchorFileError(f"{path}, line {number}: not an anchor ({error})") from error
    return anchors


def last_anchor() -> Anchor | None:
    path = anchor_file()
    if not path.exists():
        return None
    with path.open("rb") as file:
        file.seek(max(file.seek(0, os.SEEK_END) - _TAIL_BYTES, 0))
        lines = file.read().decode("utf-8", "replace").splitlines()
    for line in reversed(lines):
        try:
            return Anchor.parse(line)
        except (ValueError, KeyError, TypeError):
            continue
    return None


def _syslog_handler(address: str) -> logging.Handler:
    url = urlsplit(address)
    if url.scheme in ("udp", "tcp"):
        kind = socket.SOCK_DGRAM if url.scheme == "udp" else socket.SOCK_STREAM
        return logging.handlers.SysLogHandler(address=(url.hostname, url.port or 514), socktype=kind)
    return logging.handlers.SysLogHandler(address=address)


def _tell_syslog(anchor: Anchor) -> None:
    address = settings.AUDIT_ANCHOR_SYSLOG
    if not address:
        return
    handler = _syslog_handler(address)
    try:
        message = f"yunwei audit head seq={anchor.seq} hash={anchor.hash} at={anchor.at.isoformat()}"
        handler.emit(logging.makeLogRecord({"msg": message, "levelno": logging.INFO, "levelname": "INFO"}))
    finally:
        handler.close()


def write_anchor() -> Anchor | None:
    """Append the chain's current head to the anchor file (and syslog); nothing when it has not moved."""
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or head.seq == 0:
        return None
    last = last_anchor()
    if last is not None and (last.seq, last.hash) == (head.seq, head.hash):
        return None
    anchor = Anchor(head.seq, head.hash, timezone.now())
    path = anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(anchor.line() + "\n")
        file.flush()
        os.fsync(file.fileno())
    _tell_syslog(anchor)
    return anchor


class _Comparison:
    """The anchors met on a walk: the last that agreed with the chain and the first that did not."""

    def __init__(self, anchors: list[Anchor]):
        self.by_seq = {anchor.seq: anchor for anchor in anchors}
        self.compared = 0
        self.agreed: Anchor | None = None
        self.disagreed: Anchor | None = None

    def meet(self, anchor: Anchor, stored_hash: str | None) -> None:
        self.compared += 1
        if stored_hash == anchor.hash:
            self.agreed = anchor
        elif self.disagreed is None or anchor.seq < self.disagreed.seq:
            self.disagreed = anchor

    def seen(self, seq: int, stored_hash: str) -> None:
        anchor = self.by_seq.get(seq)
        if anchor is not None:
            self.meet(anchor, stored_hash)


def _note_seal(check: ChainCheck) -> services.SealStatus:
    status = services.seal_status()
    check.unsealed, check.oldest_unsealed_at = status.unsealed, status.oldest_at
    return status


def verify(kind: str = ChainCheck.Kind.FULL, *, seal_first: bool = False) -> ChainCheck:
    """Verify the chain (a full walk, or incrementally from the last anchor) and record the result with
    the seal's freshness. `seal_first` seals what is waiting before the walk (the command does; the
    scheduled check and the page do not, so they see a sealer that has stopped)."""
    started = timezone.now()
    check = ChainCheck(kind=kind, started_at=started)
    if seal_first:
        services.seal()
    try:
        anchors = read_anchors()
    except AnchorFileError as error:
        check.ok, check.reason, check.finished_at = False, UNREADABLE, timezone.now()
        logging.getLogger(__name__).error("%s", error)
        _note_seal(check)
        check.save()
        return check
    comparison = _Comparison(anchors)
    after_seq, after_hash = 0, GENESIS_HASH
    if kind == ChainCheck.Kind.INCREMENTAL and anchors:
        start = anchors[-1]
        stored = AuditEvent.objects.filter(seq=start.seq).values_list("hash", flat=True).first()
        comparison.meet(start, stored)
        after_seq, after_hash = start.seq, start.hash
    if comparison.disagreed is not None:
        # The walk's starting point is not what was written outside: nothing after it can be trusted.
        result = services.VerifyResult(True, 0)
    else:
        result = services.verify_chain(after_seq, after_hash, seen=comparison.seen)
    # An anchor beyond every event walked: the events it names were removed (with the head rewritten).
    walked_to = after_seq + result.checked
    if result.ok:
        for anchor in anchors:
            if anchor.seq > walked_to:
                comparison.meet(anchor, None)
    check.from_seq = after_seq
    check.checked = result.checked
    check.anchors_compared = comparison.compared
    if comparison.agreed:
        check.agreed_seq, check.agreed_at = comparison.agreed.seq, comparison.agreed.at
    if comparison.disagreed:
        check.disagreed_seq, check.disagreed_at = comparison.disagreed.seq, comparison.disagreed.at
    if not result.ok:
        check.ok, check.first_bad_seq, check.reason = False, result.first_bad_seq, result.reason
    elif comparison.disagreed is not None:
        check.ok, check.first_bad_seq, check.reason = False, comparison.disagreed.seq, REWRITTEN
    else:
        check.ok = True
    check.finished_at = timezone.now()
    if _note_seal(check).stale(check.finished_at) and check.ok:
        check.ok, check.reason = False, services.UNSEALED
    check.save()
    return check


def last_check() -> ChainCheck | None:
    return ChainCheck.objects.order_by("-finished_at").first()


def due_kind(now: datetime.datetime | None = None) -> str | None:
    """What the scheduled verification should run now: a full walk weekly, an incremental one nightly."""
    now = now or timezone.now()
    last_full = ChainCheck.objects.filter(kind=ChainCheck.Kind.FULL).order_by("-finished_at").first()
    if last_full is None or now - last_full.finished_at >= datetime.timedelta(days=7):
        return ChainCheck.Kind.FULL
    last = last_check()
    if last is None or timezone.localdate(last.finished_at) < timezone.localdate(now):
        return ChainCheck.Kind.INCREMENTAL
    return None
