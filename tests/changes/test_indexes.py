"""The dashboard's counts of emergency changes can read a partial index of the unapproved ones (issue 27)
instead of every change."""

import pytest
from django.db import connection

from yunwei.changes.models import awaiting_approval_q, awaiting_rollback_q
from yunwei.web import work

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_the_dashboards_emergency_counts_can_read_the_partial_index(unit_admin_a, group_admin):
    for user in (unit_admin_a, group_admin):
        changes = work.visible_changes(user)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            for condition in (awaiting_approval_q(), awaiting_rollback_q()):
                assert "change_emergency_unapproved" in changes.filter(condition).values("pk").explain()
