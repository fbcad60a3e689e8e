"""The deliveries of an incident or a change are found by their event key's prefix (`incident:12:`), on
the record's page and in its API answer. On a database whose collation is not C (a zh_CN or an ICU
locale, which many installations use), LIKE cannot read the unique key's index: at a million deliveries
each page read them all."""

import pytest
from django.db import connection
from django.db.models.functions import Collate

from yunwei.notify.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan and the collations are PostgreSQL's")
def test_deliveries_are_found_by_their_key_prefix_through_an_index_under_any_collation():
    # The test database's collation is C; the key read under an ICU collation stands for another one.
    rows = Delivery.objects.annotate(key=Collate("event_key", "und-x-icu")).filter(
        key__startswith="incident:12:"
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = rows.values("pk").explain()
    assert "notify_delivery_event_prefix" in plan, plan
