"""Concurrent audited writes on PostgreSQL: each commits on its own, the sealers that run after the
commits number them without gaps into one unbroken chain, and a verification meanwhile raises no alarm."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from yunwei.audit import services
from yunwei.audit.models import AuditChainHead, AuditEvent

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers by itself"),
    # Threads need committed rows. PostgreSQL's flush afterwards is a TRUNCATE, which the triggers allow;
    # serialized_rollback reloads what the migrations shipped for the transactional tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def run_threads(*targets) -> list[Exception]:
    errors = []
    barrier = threading.Barrier(len(targets))

    def run(target):
        try:
            barrier.wait()
            target()
        except Exception as exc:  # reported by the caller's assertion
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


class RolledBack(Exception):
    pass


def writer(n: int, count: int = 25, *, roll_back_every: int = 0):
    def write():
        for i in range(count):
            try:
                # The caller's transaction, as a service holds it; the seal runs after its commit.
                with transaction.atomic():
                    services.record("update", object_type="test.thread", object_id=f"{n}-{i}")
                    services.record("update", object_type="test.thread", object_id=f"{n}-{i}b")
                    if roll_back_every and i % roll_back_every == 0:
                        raise RolledBack
            except RolledBack:
                pass

    return write


def test_parallel_writers_keep_the_chain_contiguous():
    assert run_threads(*(writer(n) for n in range(8))) == []
    # What a lost race left waiting, the periodic task seals (here, in its place).
    services.seal()
    assert services.seal_status().unsealed == 0
    assert services.verify_chain() == services.VerifyResult(ok=True, checked=8 * 25 * 2)
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 8 * 25 * 2 + 1))


def test_rolled_back_writes_leave_no_gap_among_concurrent_ones():
    assert run_threads(*(writer(n, 20, roll_back_every=4) for n in range(8))) == []
    services.seal()
    kept = 8 * (20 - 5) * 2  # i = 0, 4, 8, 12, 16 rolled back in each thread
    assert AuditEvent.objects.count() == kept
    assert services.verify_chain() == services.VerifyResult(ok=True, checked=kept)
    assert not AuditEvent.objects.filter(object_id__in=["0-0", "0-0b", "7-16"]).exists()


def test_the_sealer_after_each_commit_leaves_little_or_nothing_behind():
    assert run_threads(*(writer(n, 10) for n in range(4))) == []
    # No timing here: whatever waits is named by the status, and sealed by the next seal.
    waiting = services.seal_status().unsealed
    assert services.seal() == waiting
    assert services.verify_chain().ok


def test_concurrent_sealers_never_number_an_event_twice():
    # Written without their sealers (as if each had lost the race), then six sealers at once: as in six
    # processes, each past its own process's guard, so only the head's lock stands between them.
    for n in range(300):
        AuditEvent.objects.create(at=timezone.now(), actor_name="system", action="login", object_id=str(n))
    counts = []

    def sealer():
        counts.append(services._seal_batches(7, 100)[0])

    assert run_threads(*(sealer for _ in range(6))) == []
    assert sum(counts) == 300
    assert services.verify_chain() == services.VerifyResult(ok=True, checked=300)


def test_threads_turned_away_by_the_sealing_thread_leave_it_their_events(monkeypatch):
    # One thread of the process seals at a time; the others return at once. No budget runs out here
    # (with eight writers the one sealing could spend its rounds): what is tested is that a thread
    # turned away leaves its event to the one sealing, and none to the periodic task.
    monkeypatch.setattr(services, "SEAL_ROUNDS", 10_000)
    assert run_threads(*(writer(n) for n in range(8))) == []
    assert services.seal_status().unsealed == 0
    assert services.verify_chain() == services.VerifyResult(ok=True, checked=8 * 25 * 2)


def test_the_sealing_thread_seals_again_for_a_thread_it_turned_away(monkeypatch):
    services.record("login")  # committed and sealed: the head exists
    real_batches = services._seal_batches
    holding, turned_away = threading.Event(), threading.Event()

    def batches_then_pause(batch, rounds):
        # The sealing thread has found nothing left and is about to let go when another commits.
        result = real_batches(batch, rounds)
        if not holding.is_set():
            holding.set()
            turned_away.wait(timeout=30)
        return result

    monkeypatch.setattr(services, "_seal_batches", batches_then_pause)
    counts = []
    sealer = threading.Thread(target=lambda: run_threads(lambda: counts.append(services.seal())))
    sealer.start()
    try:
        assert holding.wait(timeout=30)
        with transaction.atomic():
            event = services.record("logout")
        # Its commit's seal was turned away by the sealing thread, without looking at the database.
        assert AuditEvent.objects.get(pk=event.pk).seq is None
    finally:
        turned_away.set()
        sealer.join()
    assert counts == [1]
    assert AuditEvent.objects.get(pk=event.pk).seq == 2
    assert services.verify_chain() == services.VerifyResult(ok=True, checked=2)


def test_verifying_while_others_append_raises_no_false_alarm():
    services.record("login")
    results = []

    def verify():
        for _ in range(20):
            results.append(services.verify_chain())
            services.seal()  # the periodic task's sealing going on too

    assert run_threads(verify, *(writer(n, 40) for n in range(4))) == []
    assert [result for result in results if not result.ok] == []


def test_a_sealer_finding_the_head_locked_skips_instead_of_waiting():
    services.record("login")  # outside a transaction: committed and sealed at once; the head exists
    locked, release = threading.Event(), threading.Event()

    def holder():
        # Another sealer in the middle of its batch.
        with transaction.atomic():
            AuditChainHead.objects.select_for_update().get(pk=1)
            locked.set()
            release.wait(timeout=30)

    thread = threading.Thread(target=lambda: run_threads(holder))
    thread.start()
    try:
        assert locked.wait(timeout=30)
        with transaction.atomic():
            event = services.record("logout")
        # The commit's seal returned without waiting for the lock (else this line were never reached
        # before the release) and left the event to whoever holds it, or to the periodic task.
        assert AuditEvent.objects.get(pk=event.pk).seq is None
        assert services.seal() == 0
    finally:
        release.set()
        thread.join()
    assert services.seal() == 1
    assert services.verify_chain() == services.VerifyResult(ok=True, checked=2)
