"""The chain's head written outside the database, and verification against it (Art. 11): a chain rewritten
with every hash recomputed verifies as intact on its own, and is found by the heads kept outside."""

import datetime
import io
import json
import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from yunwei.audit import anchors, services
from yunwei.audit.models import AuditChainHead, AuditEvent, ChainCheck
from yunwei.audit.tasks import verify_audit_chain

from .sealing import sealed
from .tampering import TABLE, alter, execute, triggers_off

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def anchor_file(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = tmp_path / "var" / "audit" / "anchors.jsonl"
    settings.AUDIT_ANCHOR_SYSLOG = ""
    return settings.AUDIT_ANCHOR_FILE


def chain(n: int) -> list[AuditEvent]:
    return sealed(
        *(
            services.record("update", object_type="org.team", object_id=str(i), after={"n": i})
            for i in range(n)
        )
    )


def rewrite_from(seq: int) -> None:
    """What an intruder with database access does: change an event and recompute every hash after it,
    and the head, so the chain on its own verifies as intact."""
    with triggers_off():
        execute(f"UPDATE {TABLE} SET object_repr = 'forged' WHERE seq = %s", [seq])
        previous = AuditEvent.objects.filter(seq=seq - 1).values_list("hash", flat=True).first()
        for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            event.prev_hash = previous or event.prev_hash
            new_hash = event.compute_hash()
            execute(
                f"UPDATE {TABLE} SET prev_hash = %s, hash = %s WHERE seq = %s",
                [event.prev_hash, new_hash, event.seq],
            )
            previous = new_hash
        AuditChainHead.objects.filter(pk=1).update(hash=previous)


def test_the_head_is_appended_to_the_file_only_when_it_moved(anchor_file):
    assert anchors.write_anchor() is None  # no event yet: nothing to anchor
    events = chain(3)
    first = anchors.write_anchor()
    assert (first.seq, first.hash) == (events[-1].seq, events[-1].hash)
    assert anchors.write_anchor() is None
    chain(2)
    second = anchors.write_anchor()
    lines = [json.loads(line) for line in anchor_file.read_text().splitlines()]
    assert [(line["seq"], line["hash"]) for line in lines] == [
        (first.seq, first.hash),
        (second.seq, second.hash),
    ]
    assert anchors.last_anchor() == second


def test_the_head_goes_to_syslog_when_configured(settings):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(10)
    settings.AUDIT_ANCHOR_SYSLOG = f"udp://127.0.0.1:{listener.getsockname()[1]}"
    try:
        event = chain(1)[0]
        anchors.write_anchor()
        message = listener.recv(4096).decode()
    finally:
        listener.close()
    assert f"yunwei audit head seq={event.seq} hash={event.hash}" in message


def test_a_rewritten_chain_verifies_on_its_own_but_not_against_the_heads_outside():
    chain(4)
    anchors.write_anchor()
    chain(3)
    anchors.write_anchor()
    rewrite_from(3)

    assert services.verify_chain().ok  # every hash recomputed: the chain alone cannot tell
    check = anchors.verify(ChainCheck.Kind.FULL)
    assert not check.ok
    assert check.reason == anchors.REWRITTEN
    # The first head written outside (event 4) no longer matches: the rewrite reaches back at least to it.
    assert (check.first_bad_seq, check.disagreed_seq) == (4, 4)
    assert check.agreed_seq is None
    assert ChainCheck.objects.get() == check


def test_a_rewrite_after_the_last_agreeing_head_names_where_they_part():
    chain(3)
    agreeing = anchors.write_anchor()
    chain(3)
    anchors.write_anchor()
    rewrite_from(5)
    check = anchors.verify(ChainCheck.Kind.FULL)
    assert not check.ok
    assert (check.agreed_seq, check.disagreed_seq) == (agreeing.seq, 6)
    assert check.anchors_compared == 2


def test_a_removed_tail_with_the_head_moved_back_is_found():
    chain(5)
    anchors.write_anchor()
    with triggers_off():
        execute(f"DELETE FROM {TABLE} WHERE seq >= 4")
    last = AuditEvent.objects.get(seq=3)
    AuditChainHead.objects.filter(pk=1).update(seq=3, hash=last.hash)
    assert services.verify_chain().ok
    check = anchors.verify(ChainCheck.Kind.FULL)
    assert (check.ok, check.reason, check.disagreed_seq) == (False, anchors.REWRITTEN, 5)


def test_an_intact_chain_agrees_and_says_since_when():
    chain(2)
    anchors.write_anchor()
    chain(2)
    last = anchors.write_anchor()
    check = anchors.verify(ChainCheck.Kind.FULL)
    assert check.ok
    assert (check.checked, check.anchors_compared, check.agreed_seq) == (4, 2, last.seq)
    assert check.agreed_at == last.at


def test_the_incremental_check_walks_only_what_came_after_the_last_head():
    chain(5)
    anchors.write_anchor()
    chain(2)
    check = anchors.verify(ChainCheck.Kind.INCREMENTAL)
    assert check.ok
    assert (check.from_seq, check.checked) == (5, 2)


def test_the_incremental_check_finds_the_head_outside_rewritten_and_what_came_after_it_altered():
    chain(5)
    anchors.write_anchor()
    chain(2)
    with triggers_off():
        alter(7)
    altered = anchors.verify(ChainCheck.Kind.INCREMENTAL)
    assert (altered.ok, altered.first_bad_seq, altered.reason) == (False, 7, services.ALTERED)


def test_the_incremental_check_finds_its_starting_head_rewritten():
    chain(5)
    anchors.write_anchor()
    rewrite_from(2)
    check = anchors.verify(ChainCheck.Kind.INCREMENTAL)
    assert (check.ok, check.reason, check.first_bad_seq) == (False, anchors.REWRITTEN, 5)


def test_a_cut_anchor_file_is_reported_not_skipped(anchor_file):
    chain(2)
    anchors.write_anchor()
    with anchor_file.open("a") as file:
        file.write('{"seq": 9, "hash": \n')
    check = anchors.verify(ChainCheck.Kind.FULL)
    assert (check.ok, check.reason) == (False, anchors.UNREADABLE)


def test_the_schedule_runs_a_full_walk_weekly_and_an_incremental_one_nightly():
    chain(3)
    assert verify_audit_chain() is True
    first = ChainCheck.objects.get()
    assert first.kind == ChainCheck.Kind.FULL
    assert anchors.last_anchor().seq == 3  # the head went out before the walk
    assert verify_audit_chain() is None  # checked today already
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    assert anchors.due_kind(tomorrow) == ChainCheck.Kind.INCREMENTAL
    assert anchors.due_kind(timezone.now() + datetime.timedelta(days=7)) == ChainCheck.Kind.FULL


def test_the_command_compares_with_the_heads_outside():
    chain(3)
    anchors.write_anchor()
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().startswith(
        "audit chain intact: 3 events, every event sealed; it agrees with the 1 head(s) written outside"
    )
    rewrite_from(2)
    with pytest.raises(
        CommandError, match=r"event 3 \(rewritten\).*disagrees with the head written outside"
    ) as err:
        call_command("audit_verify")
    assert err.value.returncode == 1


def test_the_audit_page_shows_the_last_verification_and_its_age(client, group_admin):
    client.force_login(group_admin)
    page = client.get(reverse("audit:event-list")).content.decode()
    assert "审计链尚未校验过。" in page
    chain(2)
    anchors.write_anchor()
    client.post(reverse("audit:verify"))
    page = client.get(reverse("audit:event-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="last-verification"' in page
    assert "full walk" in page
    assert "It agrees with the heads written outside" in page
    page = client.get(reverse("audit:event-list")).content.decode()
    assert "全链校验" in page
    assert "与写到数据库外的链头一致" in page
