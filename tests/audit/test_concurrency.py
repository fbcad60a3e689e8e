"""Concurrent appends on PostgreSQL still give contiguous numbers and one unbroken chain."""

import threading

import pytest
from django.db import connection, connections

from yunwei.audit import services


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers by itself")
@pytest.mark.django_db(transaction=True)  # threads need committed rows; the PostgreSQL flush is TRUNCATE
def test_parallel_writers_keep_the_chain_contiguous():
    writers, each = 8, 25
    barrier = threading.Barrier(writers)
    errors = []

    def write(n):
        try:
            barrier.wait()
            for i in range(each):
                services.record("update", object_type="test.thread", object_id=f"{n}-{i}")
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert services.verify_chain() == services.VerifyResult(ok=True, checked=writers * each)
