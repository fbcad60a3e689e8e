"""Art. 13: a notice counts only when it reached somebody the rule names, and the leader report goes to
the right leaders (grade Ⅱ: the unit's and the group's leaders in charge; grade Ⅲ and a vendor call: the
system management lead)."""

import pytest

from yunwei.core.errors import TransitionNotAllowed
from yunwei.incidents import services
from yunwei.incidents.models import Notice
from yunwei.notify import services as notify
from yunwei.notify import tasks as notify_tasks
from yunwei.notify.models import Delivery
from yunwei.org.choices import Role

from ..conftest import make_user
from .conftest import walk

pytestmark = pytest.mark.django_db

URL = "/api/incidents/"


def _to_diagnosing_grade_ii(unit_a, unit_admin_a, app_a, plans):
    incident = services.report(
        actor=unit_admin_a,
        unit=unit_a,
        title="全网中断",
        impact_scope="several_units",
        affected_items=[app_a],
    )
    assert incident.grade == "II"
    incident = walk(walk(incident, unit_admin_a, "acknowledged"), unit_admin_a, "diagnosing")
    incident = services.update_details(incident, actor=unit_admin_a, cause_category="other")
    return services.activate_plan(incident, actor=unit_admin_a)  # the shipped plan: no suspension


def _deliveries(incident):
    return list(
        Delivery.objects.filter(event_key__startswith=f"incident:{incident.pk}:")
        .order_by("pk")
        .values_list("event_key", "state", "recipient")
    )


def test_a_leader_report_that_reached_nobody_does_not_open_repairs(unit_a, unit_admin_a, app_a, plans):
    """No e-mail server: the leader's e-mail failed at once, so the report was written but counts for
    nothing; repairing is refused naming the leaders nobody could reach, by hand as well."""
    make_user("a-leader", unit_a, Role.LEADER)
    incident = _to_diagnosing_grade_ii(unit_a, unit_admin_a, app_a, plans)
    assert incident.notices.filter(kind="leader_report", event_key__endswith=":II").exists()
    with pytest.raises(TransitionNotAllowed) as excinfo:
        walk(incident, unit_admin_a, "repairing")
    assert excinfo.value.field == "notice"
    reason = str(excinfo.value.message)
    assert "Art. 13" in reason
    assert "no leader in charge of 甲单位 has a channel" in reason
    assert "no leader in charge of 集团公司 has a channel" in reason
    before = (_deliveries(incident), list(Notice.objects.values_list("pk", "sent_at")))
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.send_notice(incident, "leader_report", actor=unit_admin_a)
    assert "no leader in charge of 甲单位 has a channel" in str(excinfo.value.message)
    assert (_deliveries(incident), list(Notice.objects.values_list("pk", "sent_at"))) == before
    incident.refresh_from_db()
    assert incident.state == "diagnosing"


def test_sent_again_once_the_leader_can_be_reached_the_report_counts(
    unit_a, unit_admin_a, app_a, plans, mail_server
):
    leader = make_user("a-leader", unit_a, Role.LEADER)
    leader.email = ""
    leader.save()
    leader.person.email = ""
    leader.person.save()
    incident = _to_diagnosing_grade_ii(unit_a, unit_admin_a, app_a, plans)
    assert services.notice_gate(incident, "leader_report")  # no address: nobody reached
    # The leader gets an address: the report can reach him now, and is sent again by hand.
    leader.person.email = "leader@example.cn"
    leader.person.save()
    refusal = services.notice_gate(incident, "leader_report")
    assert "send it again" in refusal
    services.send_notice(incident, "leader_report", actor=unit_admin_a)
    assert services.notice_gate(incident, "leader_report") is None
    assert incident.events.filter(kind="notice", data__again=True).exists()
    assert walk(incident, unit_admin_a, "repairing").state == "repairing"
    with pytest.raises(TransitionNotAllowed) as excinfo:  # it reached somebody: not a third time
        services.send_notice(incident, "leader_report", actor=unit_admin_a)
    assert "already been sent" in str(excinfo.value.message)


def test_a_delivery_whose_channel_failed_does_not_count(unit_a, unit_admin_a, app_a, plans, leader_a):
    """The e-mail server refuses the connection: the delivery waits for its retry on a channel that just
    failed, which is not a working channel."""
    incident = _to_diagnosing_grade_ii(unit_a, unit_admin_a, app_a, plans)
    assert services.notice_gate(incident, "leader_report") is None  # queued on the e-mail server
    for pk in Delivery.objects.filter(event_key__endswith=":leader_report:II").values_list("pk", flat=True):
        notify_tasks.deliver(pk)
    delivery = Delivery.objects.get(event_key__endswith=":leader_report:II", recipient="a-leader@example.cn")
    assert delivery.last_error and delivery.state in ("pending", "failed")
    with pytest.raises(TransitionNotAllowed) as excinfo:
        walk(incident, unit_admin_a, "repairing")
    assert "reached nobody" in str(excinfo.value.message)
    services.send_notice(incident, "leader_report", actor=unit_admin_a)  # the server is back: again
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_error, delivery.attempts) == ("pending", "", 0)
    assert walk(incident, unit_admin_a, "repairing").state == "repairing"


def test_a_unit_without_clerk_or_office_channel_cannot_be_sent_the_suspension_notice(
    unit_a, group, group_admin, unit_admin_a, incident, mail_server
):
    """The group's general office channel gets a copy, but the unit's office must be reached."""
    notify.create(
        actor=group_admin,
        unit_id=group.pk,
        name="综合办",
        kind="webhook",
        target="http://127.0.0.1:9/hook",
        announcements=True,
    )
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.send_notice(incident, "suspension", actor=unit_admin_a)
    reason = str(excinfo.value.message)
    assert "Art. 13" in reason
    assert "no clerk of 甲单位 has a channel and 甲单位 has no general office channel" in reason
    assert not incident.notices.filter(kind="suspension").exists()
    make_user("a-clerk", unit_a, Role.CLERK)
    services.send_notice(incident, "suspension", actor=unit_admin_a)
    sent = Delivery.objects.filter(event_key=f"incident:{incident.pk}:suspension")
    assert set(sent.values_list("recipient_kind", flat=True)) == {"email", "channel"}
    assert services.notice_gate(incident, "suspension") is None


def test_the_api_refuses_a_notice_nobody_receives_with_the_reason(
    api_client_for, unit_admin_a, incident, mail_server
):
    http = api_client_for(unit_admin_a)
    http.credentials(HTTP_ACCEPT_LANGUAGE="en")  # the reasons are asserted in English
    response = http.post(f"{URL}{incident.pk}/notice/", {"kind": "suspension"}, format="json")
    assert response.status_code == 409
    assert response.json()["field"] == "kind"
    assert "no clerk of 甲单位 has a channel" in response.json()["detail"]
    assert not incident.notices.filter(kind="suspension").exists()


def test_the_api_refuses_repairs_until_the_leader_report_reached_somebody(
    api_client_for, unit_a, unit_admin_a, app_a, plans
):
    make_user("a-leader", unit_a, Role.LEADER)
    incident = _to_diagnosing_grade_ii(unit_a, unit_admin_a, app_a, plans)
    http = api_client_for(unit_admin_a)
    http.credentials(HTTP_ACCEPT_LANGUAGE="en")  # the reasons are asserted in English
    response = http.post(f"{URL}{incident.pk}/transition/", {"to": "repairing"}, format="json")
    assert response.status_code == 409
    assert response.json()["field"] == "notice"
    assert "no leader in charge of 甲单位 has a channel" in response.json()["detail"]
    incident.refresh_from_db()
    assert incident.state == "diagnosing"


def test_the_page_disables_a_notice_nobody_receives_and_says_how_to_fix_it(client, unit_admin_a, incident):
    client.force_login(unit_admin_a)
    page = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    button = page[page.index('data-testid="notice-suspension"') :].split(">", 1)[0]
    assert "disabled" in button
    assert 'data-testid="notice-refused-suspension"' in page
    assert 'data-testid="how-to-reach"' in page


# -- who the leader report goes to (Art. 4, 13) -------------------------------------------------------


def _recipients(incident, kind_suffix):
    return set(
        Delivery.objects.filter(event_key=f"incident:{incident.pk}:{kind_suffix}").values_list(
            "recipient", flat=True
        )
    )


def test_grade_ii_is_reported_to_the_units_and_the_groups_leader_in_charge(
    unit_a, group, unit_admin_a, mail_server
):
    make_user("a-leader", unit_a, Role.LEADER)
    make_user("chief", group, Role.LEADER)
    make_user("lead", group, Role.SYSTEM_LEAD)
    incident = services.report(
        actor=unit_admin_a, unit=unit_a, title="全网中断", impact_scope="several_units"
    )
    assert _recipients(incident, "leader_report:II") == {"a-leader@example.cn", "chief@example.cn"}


def test_grade_iii_is_reported_to_the_system_management_lead(unit_a, group, unit_user_a, mail_server):
    make_user("a-leader", unit_a, Role.LEADER)
    make_user("lead", group, Role.SYSTEM_LEAD)
    incident = services.report(actor=unit_user_a, unit=unit_a, title="打不开", impact_scope="one_user")
    assert incident.grade == "III"
    assert _recipients(incident, "leader_report:III") == {"lead@example.cn"}


def test_calling_the_vendor_is_reported_to_the_system_management_lead(
    incident, group, unit_admin_a, org_records_a, mail_server
):
    make_user("lead", group, Role.SYSTEM_LEAD)
    incident = walk(walk(incident, unit_admin_a, "acknowledged"), unit_admin_a, "diagnosing")
    escalation = services.escalate(incident, actor=unit_admin_a, mode="remote")
    notice = incident.notices.get(kind="vendor_call")
    assert notice.event_key == f"incident:{incident.pk}:vendor_call:{escalation.pk}"
    assert _recipients(incident, f"vendor_call:{escalation.pk}") == {"lead@example.cn"}


def test_the_api_shows_the_grade_ii_report_to_both_leaders(
    api_client_for, unit_a, group, unit_admin_a, mail_server
):
    make_user("a-leader", unit_a, Role.LEADER)
    make_user("chief", group, Role.LEADER)
    http = api_client_for(unit_admin_a)
    http.credentials(HTTP_ACCEPT_LANGUAGE="en")  # the reasons are asserted in English
    response = http.post(URL, {"unit": unit_a.pk, "title": "全网中断", "impact_scope": "several_units"})
    assert response.status_code == 201, response.json()
    detail = http.get(f"{URL}{response.json()['id']}/").json()
    assert "leader_report" in [n["kind"] for n in detail["notices"]]
    reports = [d for d in detail["deliveries"] if d["event_key"].endswith(":leader_report:II")]
    assert len(reports) == 2 and {d["state"] for d in reports} == {"pending"}
