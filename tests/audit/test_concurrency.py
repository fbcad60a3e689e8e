"""Concurrent appends on PostgreSQL: contiguous numbers, one unbroken chain, no false alarm meanwhile."""

import threading

import pytest
from django.db import connection, connections

from yunwei.audit import services

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


def writer(n: int, count: int = 25):
    def write():
        for i in range(count):
            services.record("update", object_type="test.thread", object_id=f"{n}-{i}")

    return write


def test_parallel_writers_keep_the_chain_contiguous():
    assert run_threads(*(writer(n) for n in range(8))) == []
    assert services.verify_chain() == services.VerifyResult(ok=True, checked=8 * 25)


def test_verifying_while_others_append_raises_no_false_alarm():
    services.record("login")
    results = []

    def verify():
        for _ in range(20):
            results.append(services.verify_chain())

    assert run_threads(verify, *(writer(n, 40) for n in range(4))) == []
    assert [result for result in results if not result.ok] == []
