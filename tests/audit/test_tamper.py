"""The audit log resists and reveals tampering: refused writes, and verification naming the bad event."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from yunwei import cli
from yunwei.audit import anchors, services
from yunwei.audit.models import AppendOnlyError, AuditChainHead, AuditEvent, ChainCheck

from .sealing import sealed
from .tampering import TABLE, TAMPER, alter, execute, insert, remove, triggers_off

pytestmark = pytest.mark.django_db


def chain(n: int) -> list[AuditEvent]:
    return sealed(
        *(
            services.record("update", object_type="org.team", object_id=str(i), after={"n": i})
            for i in range(n)
        )
    )


# -- refused ----------------------------------------------------------------------------------------


def test_the_model_refuses_to_save_an_existing_event_or_delete_one():
    event = chain(1)[0]
    event.comment = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_querysets_refuse_update_and_delete():
    chain(2)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(comment="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=1).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update(list(AuditEvent.objects.all()), ["comment"])


@pytest.mark.parametrize(
    "sql",
    [f"UPDATE {TABLE} SET comment = 'changed' WHERE seq = 1", f"DELETE FROM {TABLE} WHERE seq = 1"],
    ids=["update", "delete"],
)
def test_the_database_refuses_raw_update_and_delete(sql):
    chain(2)
    # Both vendors report it as an integrity error (SQLite's RAISE(ABORT), PostgreSQL's 23001).
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        execute(sql)
    assert AuditEvent.objects.filter(seq=1, comment="").exists()
    assert services.verify_chain().ok


def test_the_database_lets_through_only_the_seal_of_an_unsealed_event():
    chain(1)
    waiting = services.record("login")
    # Its content cannot change while it waits, nor along with its seal …
    for sql in (
        f"UPDATE {TABLE} SET comment = 'changed' WHERE seq IS NULL",
        f"UPDATE {TABLE} SET seq = 2, prev_hash = 'x', hash = 'y', comment = 'changed' WHERE seq IS NULL",
        # … and a sealed event cannot be sealed again under another number.
        f"UPDATE {TABLE} SET seq = 9, hash = 'y' WHERE seq = 1",
        f"DELETE FROM {TABLE} WHERE seq IS NULL",
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            execute(sql)
    assert services.seal() == 1
    assert AuditEvent.objects.get(pk=waiting.pk).seq == 2
    assert services.verify_chain() == services.VerifyResult(ok=True, checked=2)


def test_a_sealed_event_removed_or_edited_is_still_found():
    for n in range(6):
        services.record("update", object_type="org.team", object_id=str(n))
        if n % 2:
            services.seal()  # in batches of two, as a busy system seals
    with triggers_off():
        remove(4)
    services.record("login")
    services.seal()  # sealing goes on after the removal and does not hide it
    assert services.verify_chain() == services.VerifyResult(
        False, checked=3, first_bad_seq=4, reason="removed"
    )
    with triggers_off():
        alter(2)
    assert services.verify_chain() == services.VerifyResult(
        False, checked=1, first_bad_seq=2, reason="altered"
    )


def test_an_event_left_unsealed_beyond_the_limit_is_reported(settings):
    settings.AUDIT_SEAL_LIMIT = 300
    written = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
    with time_machine.travel(written, tick=False):
        chain(2)
        services.record("login")  # its sealer never ran
    with time_machine.travel(written + datetime.timedelta(seconds=299), tick=False):
        fresh = anchors.verify(ChainCheck.Kind.FULL)
    assert (fresh.ok, fresh.unsealed, fresh.oldest_unsealed_at) == (True, 1, written)
    with time_machine.travel(written + datetime.timedelta(seconds=301), tick=False):
        stale = anchors.verify(ChainCheck.Kind.FULL)
        with pytest.raises(
            CommandError, match=r"1 event\(s\) waiting to be sealed, the oldest for 301 s"
        ) as err:
            call_command("audit_verify", "--no-seal")
        assert err.value.returncode == 1
    # The sealed part is intact; the finding is the wait.
    assert (stale.ok, stale.reason, stale.checked, stale.first_bad_seq) == (False, "unsealed", 2, None)
    out = io.StringIO()
    with time_machine.travel(written + datetime.timedelta(seconds=302), tick=False):
        call_command("audit_verify", stdout=out)  # the command seals first
    assert out.getvalue().startswith("audit chain intact: 3 events, every event sealed")


def test_triggers_come_back_after_tampering():
    chain(1)
    with triggers_off():
        alter(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        alter(1)


# -- revealed ---------------------------------------------------------------------------------------


def test_an_altered_event_is_named():
    chain(5)
    with triggers_off():
        execute(f"UPDATE {TABLE} SET after = %s WHERE seq = 3", ['{"n": 99}'])
    assert AuditEvent.objects.get(seq=3).after == {"n": 99}
    assert services.verify_chain() == services.VerifyResult(
        False, checked=2, first_bad_seq=3, reason="altered"
    )


def test_a_removed_event_is_named():
    chain(5)
    with triggers_off():
        remove(2)
    assert services.verify_chain() == services.VerifyResult(
        False, checked=1, first_bad_seq=2, reason="removed"
    )


def test_removing_the_last_event_is_caught_by_the_head():
    chain(3)
    with triggers_off():
        remove(3)
    assert services.verify_chain() == services.VerifyResult(
        False, checked=2, first_bad_seq=3, reason="removed"
    )


def test_an_event_slipped_in_the_middle_is_named():
    chain(5)
    with triggers_off():
        insert(3)
    assert services.verify_chain() == services.VerifyResult(
        False, checked=2, first_bad_seq=3, reason="inserted"
    )


def test_an_event_appended_behind_the_heads_back_is_named():
    chain(3)
    insert(4)  # a plain INSERT: no trigger stands in the way, but the head does not know it
    assert services.verify_chain() == services.VerifyResult(
        False, checked=3, first_bad_seq=4, reason="inserted"
    )


def test_an_event_that_does_not_chain_is_named():
    chain(3)
    with triggers_off():
        execute(f"UPDATE {TABLE} SET prev_hash = %s WHERE seq = 2", ["f" * 64])
    assert services.verify_chain().first_bad_seq == 2
    assert services.verify_chain().reason == "inserted"


def test_a_rewritten_head_is_caught():
    chain(3)
    AuditChainHead.objects.filter(pk=1).update(hash="e" * 64)
    assert services.verify_chain() == services.VerifyResult(
        False, checked=2, first_bad_seq=3, reason="altered"
    )


@settings(max_examples=30, deadline=None)
@given(
    records=st.lists(
        st.tuples(st.sampled_from(["create", "update", "unmask"]), st.integers()), min_size=1, max_size=8
    ),
    data=st.data(),
)
def test_verification_names_exactly_the_tampered_event(records, data):
    kind = data.draw(st.sampled_from(sorted(TAMPER)), label="kind")
    # An insertion may also go after the last event.
    position = data.draw(st.integers(1, len(records) + (kind == "inserted")), label="position")
    # Each example starts from an empty log: its savepoint is rolled back at the end.
    with transaction.atomic():
        for action, value in records:
            services.record(action, object_type="org.person", object_id=str(value), after={"v": value})
        services.seal()
        assert services.verify_chain().ok
        with triggers_off():
            TAMPER[kind](position)
        result = services.verify_chain()
        transaction.set_rollback(True)
    assert (result.ok, result.first_bad_seq, result.reason) == (False, position, kind)
    assert result.checked == position - 1


# -- the operator's command -------------------------------------------------------------------------


def test_command_reports_an_intact_chain():
    chain(3)
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().strip() == (
        "audit chain intact: 3 events, every event sealed; no head written outside the database to compare "
        "with yet"
    )


def test_command_fails_naming_the_first_bad_event():
    chain(4)
    with triggers_off():
        alter(2)
    with pytest.raises(CommandError, match=r"event 2 \(altered\)") as raised:
        call_command("audit_verify")
    assert raised.value.returncode == 1


def test_yunwei_audit_verify_exits_non_zero(capsys):
    chain(2)
    with triggers_off():
        remove(1)
    with pytest.raises(SystemExit) as raised:
        cli.main(["audit", "verify"])
    assert raised.value.code == 1
    assert "event 1 (removed)" in capsys.readouterr().err
