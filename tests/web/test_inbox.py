"""The in-app inbox: every notice sent to a person lands in their inbox (and only theirs), with read and
unread, a count in the top bar and a link to the record; the delivery log names the recipients and says
what became of each delivery."""

import pytest
from django.urls import reverse
from django.utils import translation

from yunwei.changes import services as changes
from yunwei.notify import services as notify
from yunwei.notify.choices import DeliveryState
from yunwei.notify.models import Delivery, InboxItem
from yunwei.notify.services import Recipient
from yunwei.org.choices import Role

from ..changes.conftest import new_change
from ..conftest import make_item, make_user

pytestmark = pytest.mark.django_db


def _send(key, unit, recipients, subject="故障通知"):
    return notify.send(
        event_key=key,
        unit_id=unit.pk if unit else None,
        recipients=recipients,
        subject={"zh-hans": subject, "en": "Fault notice"},
        body={"zh-hans": "正文", "en": "Body"},
    )


def test_the_inbox_receives_exactly_the_notices_of_its_person(
    client, unit_a, unit_b, unit_admin_a, unit_admin_b, unit_user_a
):
    _send("incident:1:leader_report:II", unit_a, notify.user_recipients([unit_admin_a.pk, unit_user_a.pk]))
    _send("incident:2:restored", unit_a, [Recipient("user", str(unit_admin_a.pk))])
    _send("incident:3:restored", unit_b, [Recipient("user", str(unit_admin_b.pk))])
    _send("incident:4:restored", unit_a, [Recipient("email", "office@example.cn")])  # nobody's inbox
    _send("incident:2:restored", unit_a, [Recipient("user", str(unit_admin_a.pk))])  # sent again: no twin

    def keys(user):
        return sorted(notify.inbox(user).values_list("notice__event_key", flat=True))

    assert keys(unit_admin_a) == ["incident:1:leader_report:II", "incident:2:restored"]
    assert keys(unit_user_a) == ["incident:1:leader_report:II"]
    assert keys(unit_admin_b) == ["incident:3:restored"]

    client.force_login(unit_admin_a)
    page = client.get(reverse("web:inbox"))
    assert len(page.context["items"]) == 2
    assert 'data-testid="inbox-count">2<' in page.content.decode()
    client.force_login(unit_admin_b)
    assert "incident:1" not in str(
        [i["item"].notice.event_key for i in client.get(reverse("web:inbox")).context["items"]]
    )


def test_an_approval_asked_lands_in_the_approvers_inbox_and_opens_the_change(
    client, unit_a, unit_admin_a, group_admin
):
    lead = make_user("lead", group_admin.person.unit, Role.SYSTEM_LEAD)
    server = make_item(unit_a, "server", "SRV-A", actor=group_admin, name="服务器")
    change = changes.transition(
        new_change(unit_admin_a, unit_a, [server]), to="submitted", actor=unit_admin_a
    )
    [item] = notify.inbox(lead)
    assert item.notice.event_key == f"change:{change.pk}:approval-asked:1"
    assert not notify.inbox(unit_admin_a).exists()  # the requester is not asked to approve their own

    client.force_login(lead)
    response = client.post(reverse("web:inbox-open", args=[item.pk]))
    assert response.status_code == 302 and response.url == reverse("changes:change-detail", args=[change.pk])
    item.refresh_from_db()
    assert item.read_at is not None
    assert 'data-testid="inbox-count"' not in client.get(reverse("web:inbox")).content.decode()


def test_nobody_opens_or_reads_anothers_notice(client, unit_a, unit_admin_a, unit_admin_b):
    _send("incident:9:restored", unit_a, [Recipient("user", str(unit_admin_a.pk))])
    item = InboxItem.objects.get()
    client.force_login(unit_admin_b)
    assert client.post(reverse("web:inbox-open", args=[item.pk])).status_code == 404
    client.post(reverse("web:inbox-read-all"))
    item.refresh_from_db()
    assert item.read_at is None
    client.force_login(unit_admin_a)
    client.post(reverse("web:inbox-read-all"))
    item.refresh_from_db()
    assert item.read_at is not None


def test_the_inbox_pages_by_keyset_without_counting(client, unit_a, unit_admin_a):
    for n in range(30):
        _send(f"incident:{n + 100}:restored", unit_a, [Recipient("user", str(unit_admin_a.pk))])
    client.force_login(unit_admin_a)
    first = client.get(reverse("web:inbox"))
    assert len(first.context["items"]) == 25 and first.context["next_before"]
    second = client.get(reverse("web:inbox"), {"before": first.context["next_before"]})
    assert len(second.context["items"]) == 5
    seen = {i["item"].pk for i in first.context["items"]} | {i["item"].pk for i in second.context["items"]}
    assert len(seen) == 30
    assert notify.unread_count(unit_admin_a) == 30


def test_the_delivery_log_names_the_person_and_says_failed_why_or_nobody_to_reach(
    client, unit_a, group_admin, unit_admin_a
):
    unit_admin_a.email = ""
    unit_admin_a.save()
    unit_admin_a.person.email = ""
    unit_admin_a.person.save()
    with translation.override("en"):  # the reason is stored in the language of the moment
        _send("incident:5:restored", unit_a, [Recipient("user", str(unit_admin_a.pk))])
        _send("incident:6:restored", unit_a, [])
    failed = Delivery.objects.get(event_key="incident:5:restored")
    nobody = Delivery.objects.get(event_key="incident:6:restored")
    assert failed.state == DeliveryState.FAILED and failed.user == unit_admin_a
    assert nobody.state == DeliveryState.UNREACHABLE
    assert not notify.reached("incident:6:restored", [], unit_a.pk)

    client.force_login(group_admin)
    page = client.get(reverse("notify:delivery-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page.split(f'data-testid="delivery-{failed.pk}"')[1].split("</tr>")[0]
    assert unit_admin_a.person.name in row and "has no e-mail address" in row
    assert ">Sent<" not in row and "已发送" not in row
    row = page.split(f'data-testid="delivery-{nobody.pk}"')[1].split("</tr>")[0]
    assert "Nobody to reach" in row and "named nobody" in row


def test_the_delivery_api_names_the_person_too(api_client_for, unit_a, group_admin, unit_admin_a):
    _send("incident:7:restored", unit_a, [Recipient("user", str(unit_admin_a.pk))])
    rows = api_client_for(group_admin).get("/api/notify/deliveries/").json()["results"]
    [row] = [r for r in rows if r["event_key"] == "incident:7:restored"]
    assert row["user"] == unit_admin_a.pk and row["recipient_name"] == unit_admin_a.person.name
