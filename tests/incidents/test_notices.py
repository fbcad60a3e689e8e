"""Art. 13: suspension and recovery notices go out through the general office; the leader report does not."""

import pytest

from yunwei.incidents import services
from yunwei.notify import services as notify
from yunwei.notify.models import Channel, Delivery
from yunwei.org.choices import Role

from ..conftest import make_user

pytestmark = pytest.mark.django_db


def _channel(actor, unit, name, *, announcements):
    notify.allow_address("127.0.0.1", actor=actor)
    return notify.create(
        actor=actor,
        unit_id=unit.pk,
        name=name,
        kind="webhook",
        target="http://127.0.0.1:9/hook",
        announcements=announcements,
    )


def test_suspension_goes_to_the_clerks_and_the_general_office_channels(
    incident, group, unit_a, unit_b, group_admin, unit_admin_a
):
    clerk = make_user("a-clerk", unit_a, Role.CLERK)
    group_office = _channel(group_admin, group, "综合办", announcements=True)
    unit_office = _channel(group_admin, unit_a, "甲办公室", announcements=True)
    _channel(group_admin, unit_a, "甲值班群", announcements=False)
    _channel(group_admin, unit_b, "乙办公室", announcements=True)

    services.send_notice(incident, "suspension", actor=unit_admin_a)

    deliveries = Delivery.objects.filter(event_key=f"incident:{incident.pk}:suspension")
    assert set(deliveries.filter(recipient_kind="channel").values_list("channel", flat=True)) == {
        group_office.pk,
        unit_office.pk,
    }
    assert deliveries.filter(recipient_kind="email", recipient=clerk.person.email).exists()


def test_the_leader_report_never_goes_to_a_general_office_channel(unit_a, group, group_admin, unit_admin_a):
    make_user("a-leader", unit_a, Role.LEADER)
    _channel(group_admin, group, "综合办", announcements=True)

    incident = services.report(
        actor=unit_admin_a, unit=unit_a, title="全网中断", impact_scope="several_units"
    )

    deliveries = Delivery.objects.filter(event_key__startswith=f"incident:{incident.pk}:leader_report")
    assert deliveries.exists()
    assert not deliveries.filter(recipient_kind="channel").exists()
    assert Channel.objects.filter(announcements=True).count() == 1
