"""Writing the audit log: numbering, hashing, what is derived from the object, snapshots and diffs."""

import datetime
import decimal
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import make_user
from yunwei.audit import services
from yunwei.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from yunwei.org.models import Team, Vendor, VendorEngineer

from .sealing import record_sealed, sealed

pytestmark = pytest.mark.django_db

# PostgreSQL refuses NUL in text and jsonb, and UTF-8 has no lone surrogates: neither reaches the log
# through forms and serializers, which reject them.
text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=10,
)


def test_an_event_is_written_unsealed_and_sealed_after_its_commit():
    event = services.record("login")
    assert (event.seq, event.prev_hash, event.hash) == (None, "", "")
    assert services.seal_status().unsealed == 1
    assert services.seal() == 1
    assert AuditEvent.objects.get(pk=event.pk).seq == 1
    assert services.seal_status() == services.SealStatus(0, None)
    assert services.seal() == 0  # nothing left: sealing again changes nothing


def test_recording_takes_no_lock_on_the_head():
    # The head is not even created by a write: only the sealer touches it.
    services.record("login")
    assert not AuditChainHead.objects.exists()


def test_events_are_numbered_from_one_and_chained():
    first, second = sealed(services.record("login", comment="a"), services.record("logout", comment="b"))
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (2, second.hash)


def test_a_chain_of_records_verifies():
    for n in range(25):
        services.record("update", object_type="org.team", object_id=str(n), after={"n": n})
    services.seal(batch=7)  # batches chain onto one another
    result = services.verify_chain()
    assert result == services.VerifyResult(ok=True, checked=25)


def test_an_empty_log_verifies():
    assert services.verify_chain() == services.VerifyResult(ok=True, checked=0)


def test_a_rolled_back_change_leaves_no_gap():
    services.record("login")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record("create", comment="rolled back")
        raise RuntimeError
    assert record_sealed("logout").seq == 2
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "action")) == [
        (1, "login"),
        (2, "logout"),
    ]
    assert services.verify_chain().ok


def test_the_seal_is_asked_for_once_per_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        services.record("login")
        services.record("logout")
    assert callbacks == [services.seal_quietly]
    assert list(AuditEvent.objects.order_by("pk").values_list("seq", flat=True)) == [1, 2]
    assert services.verify_chain() == services.VerifyResult(ok=True, checked=2)


def test_unknown_action_is_refused():
    with pytest.raises(ValueError):
        services.record("teleport")


def test_actor_is_named_and_system_acts_are_named_system():
    user = make_user("zhang", None)
    assert (services.record("login", actor=user).actor_name, services.record("logout").actor_name) == (
        "zhang",
        "system",
    )


def test_deleting_an_account_keeps_its_events():
    user = make_user("leaver", None)
    event = services.record("login", actor=user)
    get_user_model().objects.filter(pk=user.pk).delete()
    services.seal()
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor_id, event.actor_name) == (user.pk, "leaver")
    assert services.verify_chain().ok


def test_object_fields_come_from_the_object(unit_a):
    team = Team.objects.create(unit=unit_a, code="ops", name="运维班")
    event = services.record("create", obj=team)
    assert (event.object_type, event.object_id, event.object_repr, event.unit_id) == (
        "org.team",
        str(team.pk),
        "运维班",
        unit_a.pk,
    )


def test_unit_of_a_unit_is_itself_and_nested_paths_are_followed(unit_a):
    engineer = VendorEngineer.objects.create(
        vendor=Vendor.objects.create(unit=unit_a, code="v", name="厂家"), name="李工"
    )
    assert services.record("update", obj=unit_a).unit_id == unit_a.pk
    assert services.record("update", obj=engineer).unit_id == unit_a.pk
    assert services.record("login", obj=make_user("u", None)).unit_id is None


def test_explicit_fields_win_over_derived_ones(unit_a, unit_b):
    event = services.record("update", obj=unit_a, object_repr="甲", unit_id=unit_b.pk)
    assert (event.object_repr, event.unit_id) == ("甲", unit_b.pk)


def test_object_repr_is_cut_to_200_characters(unit_a):
    unit_a.name = "长" * 300
    assert services.record("update", obj=unit_a).object_repr == "长" * 200


def test_snapshot_is_json_safe_with_foreign_keys_as_ids(unit_a):
    team = Team.objects.create(unit=unit_a, code="ops", name="运维班", domains=["network"])
    data = services.snapshot(team)
    assert data["unit_id"] == unit_a.pk
    assert data["domains"] == ["network"]
    assert isinstance(data["created_at"], str)
    assert services.snapshot(team, fields=["name", "unit"]) == {"unit_id": unit_a.pk, "name": "运维班"}


def test_snapshot_never_holds_a_password():
    assert "password" not in services.snapshot(make_user("u", None))


def test_json_safe_keeps_full_precision_and_plain_types():
    moment = datetime.datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=datetime.UTC)
    key = uuid.uuid4()
    value = {"at": moment, "amount": decimal.Decimal("12.50"), "id": key, "ratio": 2.0, "tags": {"b", "a"}}
    assert services.json_safe(value) == {
        "at": "2025-03-01T08:30:15.123456+00:00",
        "amount": "12.50",
        "id": str(key),
        "ratio": 2,
        "tags": ["a", "b"],
    }


def test_diff_keeps_only_changed_keys():
    before = {"name": "a", "code": "x", "gone": 1}
    after = {"name": "b", "code": "x", "new": 2}
    assert services.diff(before, after) == (
        {"name": "a", "gone": 1, "new": None},
        {"name": "b", "gone": None, "new": 2},
    )


def test_the_time_is_stored_with_microseconds_in_utc():
    event = services.record("login")
    stored = AuditEvent.objects.get(pk=event.pk).at
    assert stored == event.at
    assert stored.utcoffset() == datetime.timedelta(0)
    assert abs(timezone.now() - stored) < datetime.timedelta(minutes=1)


@settings(max_examples=50, deadline=None)
@given(before=json_values, after=json_values, comment=text, repr_=text)
def test_values_read_back_hash_as_they_were_written(before, after, comment, repr_):
    """Whatever goes in, the row read back from the database hashes to the stored hash."""
    with transaction.atomic():
        event = services.record(
            "update", before={"v": before}, after={"v": after}, comment=comment, object_repr=repr_
        )
        services.seal()
        stored = AuditEvent.objects.get(pk=event.pk)
        assert stored.compute_hash() == stored.hash != ""
        transaction.set_rollback(True)
