"""The incident list and the duty board at scale (issue 27): the list counts and pages through a bounded
number of rows and says so, a deep page says why it is not shown, the duty board draws the most severe
and oldest open incidents first, and none of it shows another unit's incidents."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from yunwei.core import pages
from yunwei.incidents import services, views
from yunwei.incidents.models import Incident

pytestmark = pytest.mark.django_db


def _report(actor, unit, app, title):
    return services.report(actor=actor, unit=unit, title=title, impact_scope="one_user", affected_items=[app])


@pytest.fixture
def five(unit_a, unit_user_a, app_a):
    return [_report(unit_user_a, unit_a, app_a, f"故障{k}") for k in range(5)]


def test_a_list_longer_than_the_bound_says_more_than_and_leaves_the_figures_out(
    client, unit_admin_a, five, monkeypatch
):
    monkeypatch.setattr(pages, "MAX_ROWS", 3)
    client.force_login(unit_admin_a)
    page = client.get("/incidents/").content.decode()
    assert 'data-testid="count-capped"' in page
    assert "超过 3 条记录" in page
    assert "超过 3 起故障" in page  # the figures give way to a request for narrower filters
    assert "平均恢复" not in page
    english = client.get("/incidents/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "More than 3 records" in english
    assert "More than 3 incidents: narrow the filters" in english
    # The newest three of the five are the rows counted and shown.
    shown = [i.pk for i in five if f'data-testid="incident-row-{i.pk}"' in page]
    assert shown == [i.pk for i in five[2:]]


def test_a_list_within_the_bound_keeps_its_exact_count_and_figures(client, unit_admin_a, five, monkeypatch):
    monkeypatch.setattr(pages, "MAX_ROWS", 5)
    client.force_login(unit_admin_a)
    page = client.get("/incidents/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="count-capped"' not in page
    assert "5 records" in page
    assert "5 incidents" in page


def test_a_page_beyond_the_bound_says_why_and_shows_the_last_page_offered(
    client, unit_admin_a, five, monkeypatch
):
    monkeypatch.setattr(pages, "MAX_ROWS", 3)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client.force_login(unit_admin_a)
    response = client.get("/incidents/", {"page": 20000})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="page-too-deep"' in page
    assert "只能翻阅前 3 条记录" in page
    # Page 2 of the three rows offered: the oldest of them, and no link to a page beyond.
    assert f'data-testid="incident-row-{five[2].pk}"' in page
    assert f'data-testid="incident-row-{five[1].pk}"' not in page
    assert "page=3" not in page
    english = client.get("/incidents/", {"page": 20000}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Pages reach the first 3 records only" in english
    # A page within the bound says nothing of it.
    assert 'data-testid="page-too-deep"' not in client.get("/incidents/", {"page": 2}).content.decode()


def test_the_bounded_list_shows_no_other_units_incidents(client, unit_admin_b, five, monkeypatch):
    monkeypatch.setattr(pages, "MAX_ROWS", 3)
    client.force_login(unit_admin_b)
    page = client.get("/incidents/", {"page": 20000}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert not any(f'data-testid="incident-row-{i.pk}"' in page for i in five)
    assert 'data-testid="count-capped"' not in page and 'data-testid="page-too-deep"' not in page
    assert "0 records" in page


def test_search_finds_by_title_and_description_within_the_users_units(
    client, unit_admin_a, unit_admin_b, unit_user_a, unit_a, app_a
):
    hit = services.report(
        actor=unit_user_a,
        unit=unit_a,
        title="邮件无法发送",
        description="srv-0042 connection timeout",
        impact_scope="one_user",
        affected_items=[app_a],
    )
    miss = _report(unit_user_a, unit_a, app_a, "打印机卡纸")
    client.force_login(unit_admin_a)
    for term in ("SRV-0042", "邮件", "Timeout"):
        page = client.get("/incidents/", {"q": term}).content.decode()
        assert f'data-testid="incident-row-{hit.pk}"' in page, term
        assert f'data-testid="incident-row-{miss.pk}"' not in page, term
    client.force_login(unit_admin_b)
    assert (
        f'data-testid="incident-row-{hit.pk}"'
        not in client.get("/incidents/", {"q": "邮件"}).content.decode()
    )


def test_duty_board_draws_the_most_severe_and_oldest_first_and_says_when_more_wait(
    client, unit_admin_a, unit_admin_b, five, monkeypatch
):
    now = timezone.now()
    # The second-newest is grade Ⅱ and late for its acknowledgement; the rest are grade Ⅲ.
    Incident.objects.filter(pk=five[3].pk).update(
        grade="II", acknowledge_due_at=now - datetime.timedelta(minutes=5)
    )
    Incident.objects.filter(pk=five[0].pk).update(state="closed")
    monkeypatch.setattr(views, "DUTY_SHOWN", 2)
    client.force_login(unit_admin_a)
    page = client.get("/incidents/duty/").content.decode()
    drawn = [i.pk for i in five if f'data-testid="duty-{i.pk}"' in page]
    assert set(drawn) == {five[3].pk, five[1].pk}  # grade Ⅱ first, then the oldest open grade Ⅲ
    assert page.index(f'data-testid="duty-{five[3].pk}"') < page.index(f'data-testid="duty-{five[1].pk}"')
    assert f'border-2" data-testid="duty-{five[3].pk}"' in page  # late, from its stored deadline
    assert f'border-2" data-testid="duty-{five[1].pk}"' not in page
    assert 'data-testid="duty-more"' in page
    english = client.get("/incidents/duty/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "More than 2 incidents are open" in english
    client.force_login(unit_admin_b)
    page = client.get("/incidents/duty/").content.decode()
    assert not any(f'data-testid="duty-{i.pk}"' in page for i in five)
    assert 'data-testid="duty-more"' not in page


def test_a_search_counts_fewer_rows_than_the_list(client, unit_admin_a, five, monkeypatch):
    monkeypatch.setattr(views, "SEARCH_ROWS", 2)
    client.force_login(unit_admin_a)
    page = client.get("/incidents/", {"q": "故障"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "More than 2 records" in page
    assert sum(f'data-testid="incident-row-{i.pk}"' in page for i in five) == 2
    # The unfiltered list keeps the list's bound: all five counted.
    assert "5 records" in client.get("/incidents/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram indexes are PostgreSQL's")
def test_the_lists_search_can_use_the_trigram_indexes(rf, group_admin, five):
    """The list's search asks UPPER(column) LIKE UPPER('%term%'), the expression the trigram indexes of
    migration 0004 are built on: with the table's scans priced out (five rows are read fastest whole),
    the plan reads them (issue 27)."""
    request = rf.get("/incidents/", {"q": "srv-0042"})
    request.user = group_admin
    rows, _form, _q, _sort, _held = views._filtered(request)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = rows.order_by().explain()
    assert "incident_title_trgm" in plan and "incident_description_trgm" in plan


def test_a_term_too_short_for_the_trigrams_is_looked_for_among_the_newest_incidents(
    client, unit_admin_a, unit_admin_b, five, monkeypatch
):
    monkeypatch.setattr(views, "SHORT_TERM_ROWS", 3)
    client.force_login(unit_admin_a)
    page = client.get("/incidents/", {"q": "故障"}).content.decode()
    assert [i.pk for i in five if f'data-testid="incident-row-{i.pk}"' in page] == [i.pk for i in five[2:]]
    assert "一两个字的检索词只在最新的 3 起故障中查找" in page
    assert "起故障 ·" not in page  # no figures of a part
    english = client.get("/incidents/", {"q": "故障"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A term of one or two characters is looked for among the newest 3 incidents only" in english
    # Three characters or more: the whole table, through the trigram indexes.
    page = client.get("/incidents/", {"q": "故障1"}).content.decode()
    assert f'data-testid="incident-row-{five[1].pk}"' in page and 'data-testid="search-held"' not in page
    # Another unit's admin finds none of them either way.
    client.force_login(unit_admin_b)
    for term in ("故障", "故障1"):
        page = client.get("/incidents/", {"q": term}).content.decode()
        assert not any(f'data-testid="incident-row-{i.pk}"' in page for i in five)
