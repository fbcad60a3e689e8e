"""The notify app's foreign-unit cases, merged into tests/test_foreign_unit.py."""

from yunwei.notify import services
from yunwei.notify.choices import DeliveryState
from yunwei.notify.delivery import MAX_ATTEMPTS
from yunwei.notify.models import Channel, Delivery
from yunwei.notify.services import Recipient

CASES: dict[str, tuple[str, str]] = {
    "api:notify:channel-list": ("list", "channel"),
    "api:notify:channel-detail": ("detail", "channel"),
    "api:notify:channel-test": ("post", "channel"),
    "api:notify:delivery-list": ("list", "delivery"),
    "api:notify:delivery-detail": ("get", "delivery"),
    "api:notify:delivery-retry": ("post", "delivery"),
    "notify:channel-list": ("page-list", "channel"),
    "notify:channel-detail": ("page", "channel"),
    "notify:channel-edit": ("page", "channel"),
    "notify:channel-delete": ("page-post", "channel"),
    "notify:channel-test": ("page-post", "channel"),
    # A delivery has no name of its own: the list must not show the foreign channel either.
    "notify:delivery-list": ("page-list", "channel"),
    "notify:delivery-retry": ("page-post", "delivery"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "api:notify:api-root": "index of links",
    "api:notify:preference-me": "the caller's own preferences",
    "notify:channel-create": "a form; the unit is checked against the units the user manages",
    "notify:preferences": "the caller's own preferences",
    "api:notify:allowedaddress-list": "the group's allow-list; group system admins only (tests/notify)",
    "api:notify:allowedaddress-detail": "the group's allow-list; group system admins only (tests/notify)",
    "notify:allow-list": "the group's allow-list; group system admins only (tests/notify)",
    "notify:allow-list-remove": "the group's allow-list; group system admins only (tests/notify)",
}
# record key → its detail page route, for the "nothing of it on the list page" check
DETAIL_PAGES: dict[str, str] = {"channel": "notify:channel-detail"}


def build_records(unit, actor) -> dict:
    """One record of each kind in `unit`, created through the services."""
    services.allow_address("127.0.0.1", actor=actor, note="tests")
    channel = services.create(
        Channel,
        actor=actor,
        unit_id=unit.pk,
        name="甲单位钉钉群",
        kind="dingtalk",
        target="http://127.0.0.1:9/robot/send?access_token=jia",
        secret="SEC-jia",
    )
    # Written, not delivered: the test transaction never commits, so nothing is queued.
    [delivery] = services.send(
        event_key=f"test:{unit.pk}:foreign",
        unit_id=unit.pk,
        recipients=[Recipient("channel", str(channel.pk))],
        subject={"zh-hans": "甲单位故障", "en": "Unit A fault"},
        body={"zh-hans": "正文", "en": "Body"},
    )
    # Failed, as a sender would leave it, so a retry that slipped past the scoping would change it.
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.FAILED, attempts=MAX_ATTEMPTS, last_error="HTTP 503"
    )
    delivery.refresh_from_db()
    return {"channel": channel, "delivery": delivery}
