"""What an intruder with database access might do to the audit table, for the tests to catch.

The triggers are dropped and put back around each act with the migration's own functions: inside the
test transaction, so a failing test leaves the database as it found it on both SQLite and PostgreSQL.
Avoid `django_db(transaction=True)` for tests that write audit events on SQLite: the flush after such a
test deletes rows, which the triggers refuse (PostgreSQL's flush uses TRUNCATE, which they allow).
"""

import importlib
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone

from yunwei.audit.models import GENESIS_HASH, AuditEvent

triggers = importlib.import_module("yunwei.audit.migrations.0005_sealing_triggers")
TABLE = connection.ops.quote_name(AuditEvent._meta.db_table)


class _RawExecutor:
    """The bit of a schema editor the trigger functions use; a real one refuses to run inside a
    transaction on SQLite."""

    connection = connection
    quote_name = staticmethod(connection.ops.quote_name)

    def execute(self, sql, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


@contextmanager
def triggers_off():
    triggers.drop(None, _RawExecutor())
    try:
        yield
    finally:
        triggers.install(None, _RawExecutor())


def execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def alter(seq: int) -> None:
    execute(f"UPDATE {TABLE} SET object_repr = object_repr || '!' WHERE seq = %s", [seq])


def remove(seq: int) -> None:
    execute(f"DELETE FROM {TABLE} WHERE seq = %s", [seq])


def insert(seq: int) -> AuditEvent:
    """Slip a well-formed event in at `seq`, renumbering the later ones; the head is left as it was."""
    # Two steps, because a one-step `seq + 1` collides with the unique index row by row.
    execute(f"UPDATE {TABLE} SET seq = seq + 1000000 WHERE seq >= %s", [seq])
    execute(f"UPDATE {TABLE} SET seq = seq - 999999 WHERE seq >= 1000000")
    previous = AuditEvent.objects.filter(seq=seq - 1).first()
    forged = AuditEvent(
        seq=seq,
        at=timezone.now(),
        actor_name="mallory",
        action="delete",
        object_type="org.person",
        object_id="1",
        object_repr="forged",
        prev_hash=previous.hash if previous else GENESIS_HASH,
    )
    forged.hash = forged.compute_hash()
    forged.save()
    return forged


TAMPER = {"altered": alter, "removed": remove, "inserted": insert}
