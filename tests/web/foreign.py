"""The web app's foreign-unit cases (My work, the inbox, the charts), merged into
tests/test_foreign_unit.py."""

from yunwei.incidents.models import Incident
from yunwei.notify import services as notify
from yunwei.notify.models import InboxItem
from yunwei.org.choices import Role

CASES: dict[str, tuple[str, str]] = {
    # Nothing of unit A waits on a person of unit B: the incident's code is nowhere on their My work.
    "web:my-work": ("page-list", "incident"),
    # A's notice about its incident (subject: the incident's code) is in no inbox of B.
    "web:inbox": ("page-list", "incident"),
    "web:inbox-open": ("page-post", "inbox_item"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "web:inbox-read-all": "marks the caller's own notices read, nobody else's (tests/web/test_inbox.py)",
    "web:chart-data": "a chart by name; another unit's id in ?unit= is a 404 and the figures count only "
    "the visible units (tests/web/test_charts.py: test_charts_count_only_what_the_viewer_sees)",
}
DETAIL_PAGES: dict[str, str] = {}


def build_records(unit, actor) -> dict:
    """A notice about unit A's incident in the inbox of a person of unit A (after the incidents' records)."""
    from ..conftest import make_user

    incident = Incident.objects.filter(unit=unit).order_by("pk").first()
    reader = make_user("a-reader", unit, Role.USER)
    notify.send(
        event_key=f"incident:{incident.pk}:foreign-inbox",
        unit_id=unit.pk,
        recipients=[notify.Recipient("user", str(reader.pk))],
        subject={"zh-hans": f"{incident.code} 故障通知", "en": f"{incident.code} fault"},
        body={"zh-hans": "正文"},
    )
    return {"inbox_item": InboxItem.objects.get(user=reader)}
