"""The start and end of a window are told to the items' team (issue 22; Art. 18, our reading): each edge
of each occurrence once, by e-mail through a real SMTP server on loopback and in the inbox; late, saying
so, after a restart that missed the moment; never for an occurrence long past."""

import datetime
import email
import email.policy
import zoneinfo

import pytest

from yunwei.changes import recurring, window_notices
from yunwei.changes.models import Change, MaintenanceWindow, RecurringWindow, WindowNotice
from yunwei.notify.models import Delivery, InboxItem, Notice
from yunwei.org.choices import Role
from yunwei.org.models import Person

from ..conftest import make_item, make_user
from ..notify.conftest import allow_loopback, make_channel, smtp_server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Sunday 6 December 2026, 02:00 in Shanghai: an occurrence of the weekly window below.
START = datetime.datetime(2026, 12, 6, 2, 0, tzinfo=SHANGHAI)
END = START + datetime.timedelta(hours=2)


def after(moment: datetime.datetime, **delta) -> datetime.datetime:
    return (moment + datetime.timedelta(**delta)).astimezone(datetime.UTC)


@pytest.fixture
def team_server(unit_a, group_admin, team_a):
    return make_item(unit_a, "server", "SRV-W", actor=group_admin, name="补丁服务器", owner_team=team_a)


@pytest.fixture
def member(unit_a, team_a):
    user = make_user("w-member", unit_a, Role.TECH_STAFF)
    Person.objects.filter(account=user).update(team=team_a)
    make_user("w-other", unit_a, Role.TECH_STAFF)  # technical staff, not of the items' team: not told
    return user


@pytest.fixture
def weekly(unit_admin_a, unit_a, team_server):
    return recurring.create(
        RecurringWindow,
        actor=unit_admin_a,
        unit=unit_a,
        items=[team_server],
        name="每周补丁夜",
        weekdays=[7],
        start_time=datetime.time(2, 0),
        duration_minutes=120,
        time_zone="Asia/Shanghai",
        starts_on=datetime.date(2026, 1, 1),
    )


@pytest.fixture
def mail(smtp_server, make_channel):  # noqa: F811
    make_channel("email", {"host": "127.0.0.1", "port": smtp_server.port})
    return smtp_server


def sweep(now, capture) -> int:
    with capture(execute=True):
        return window_notices.tell_windows(now)


def received(server) -> list:
    return [
        (envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default))
        for envelope in server.envelopes
    ]


def test_each_edge_of_a_recurring_occurrence_is_mailed_to_the_items_team_once(
    weekly, member, mail, django_capture_on_commit_callbacks
):
    assert sweep(after(START, seconds=30), django_capture_on_commit_callbacks) == 1
    [(to, message)] = received(mail)
    assert to == ["w-member@example.cn"]
    assert "每周补丁夜" in message["Subject"] and "周期维护窗口开始" in message["Subject"]
    text = message.get_body().get_content()
    assert "SRV-W" in text and "2026-12-06 02:00" in text and "04:00" in text and "补发" not in text
    # Every later sweep of the occurrence, and a second worker's, tells nothing more.
    assert sweep(after(START, minutes=1), django_capture_on_commit_callbacks) == 0
    assert sweep(after(START, minutes=90), django_capture_on_commit_callbacks) == 0
    assert len(mail.envelopes) == 1

    assert sweep(after(END, seconds=20), django_capture_on_commit_callbacks) == 1
    assert sweep(after(END, minutes=1), django_capture_on_commit_callbacks) == 0
    assert len(mail.envelopes) == 2
    assert "周期维护窗口结束" in received(mail)[1][1]["Subject"]
    told = WindowNotice.objects.filter(window_key=f"recurring:{weekly.pk}").order_by("told_at")
    assert [(row.edge, row.occurrence_start, row.late) for row in told] == [
        ("start", START, False),
        ("end", START, False),
    ]
    # The person's inbox holds both notices too.
    assert InboxItem.objects.filter(user=member).count() == 2

    # Next Sunday is another occurrence: told again.
    assert sweep(after(START, days=7, seconds=5), django_capture_on_commit_callbacks) == 1
    assert len(mail.envelopes) == 3


def test_a_restart_that_missed_the_start_tells_it_late_and_says_so(
    weekly, member, mail, django_capture_on_commit_callbacks
):
    assert sweep(after(START, minutes=40), django_capture_on_commit_callbacks) == 1
    [(to, message)] = received(mail)
    assert to == ["w-member@example.cn"]
    assert "补发通知" in message.get_body().get_content()
    notice = Notice.objects.get(event_key__startswith=f"recurring:{weekly.pk}:window:start:")
    assert "Told late" in notice.body_en and "02:00" in notice.body_en
    assert WindowNotice.objects.get(window_key=f"recurring:{weekly.pk}").late is True


def test_an_occurrence_long_past_is_not_told(weekly, member, django_capture_on_commit_callbacks):
    # The scheduler was down from before the start until three hours after the end.
    assert sweep(after(END, hours=3), django_capture_on_commit_callbacks) == 0
    assert not Notice.objects.exists() and not WindowNotice.objects.exists()


def test_the_start_of_an_occurrence_already_over_is_not_told_its_end_is(
    weekly, member, django_capture_on_commit_callbacks
):
    assert sweep(after(END, minutes=30), django_capture_on_commit_callbacks) == 1
    [row] = WindowNotice.objects.all()
    assert (row.edge, row.late) == ("end", True)


def test_an_edge_claimed_by_another_worker_is_not_told_again(weekly, member):
    # Another worker claimed and told the start between this sweep's look and its claim: the unique
    # record refuses the second claim, and nothing of it is written.
    claim = {
        "window_key": f"recurring:{weekly.pk}",
        "recurring": weekly,
        "occurrence_start": START,
        "occurrence_end": END,
        "edge": "start",
    }
    WindowNotice.objects.create(**claim, told_at=after(START, seconds=1))
    written = window_notices._tell(
        claim=claim,
        prefix=f"recurring:{weekly.pk}",
        texts=window_notices.RECURRING_TEXT,
        values={"name": weekly.name, "zone": "Asia/Shanghai", "start": "02:00", "end": "04:00"},
        items=list(weekly.items.all()),
        moment=START,
        now=after(START, seconds=2),
    )
    assert written == 0
    assert WindowNotice.objects.count() == 1 and not Notice.objects.exists()


def test_a_changes_window_is_told_once_per_occurrence_and_again_when_moved(
    unit_a, team_server, member, django_capture_on_commit_callbacks
):
    start = datetime.datetime(2026, 12, 8, 1, 0, tzinfo=datetime.UTC)
    change = Change.objects.create(
        unit=unit_a,
        title="数据库升级",
        change_type="software_upgrade",
        state="scheduled",
        planned_start=start,
        planned_end=start + datetime.timedelta(hours=1),
    )
    MaintenanceWindow.objects.create(
        change=change, item=team_server, starts_at=start, ends_at=start + datetime.timedelta(hours=1)
    )
    assert sweep(after(start, seconds=10), django_capture_on_commit_callbacks) == 1
    assert sweep(after(start, seconds=70), django_capture_on_commit_callbacks) == 0
    notice = Notice.objects.get(event_key__startswith=f"change:{change.pk}:window:start:")
    assert "数据库升级" in notice.subject_zh and "SRV-W" in notice.body_zh
    assert set(Delivery.objects.filter(notice=notice).values_list("recipient", flat=True)) == {
        "w-member@example.cn"
    }
    # Moved later: a new occurrence, told at its own start.
    later = start + datetime.timedelta(hours=3)
    change.windows.update(starts_at=later, ends_at=later + datetime.timedelta(hours=1))
    assert sweep(after(later, seconds=10), django_capture_on_commit_callbacks) == 1
    assert sweep(after(later, hours=1, seconds=10), django_capture_on_commit_callbacks) == 1
    edges = WindowNotice.objects.filter(window_key=f"change:{change.pk}").values_list(
        "edge", "occurrence_start"
    )
    assert sorted(edges) == [("end", later), ("start", start), ("start", later)]
