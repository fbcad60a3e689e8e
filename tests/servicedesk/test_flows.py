"""Each kind of request along its flow with the right and the wrong actor (Art. 9–10), segregation of
duties, the account request creating a real account, and the links to changes, incidents and known
errors."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from yunwei.changes.models import Change
from yunwei.core.errors import DomainError, PermissionDenied, StaleEdit, TransitionNotAllowed
from yunwei.incidents.models import Incident
from yunwei.org.choices import Role
from yunwei.org.models import Person
from yunwei.problems.models import Problem
from yunwei.servicedesk import services
from yunwei.servicedesk.fields import Upload
from yunwei.servicedesk.models import RequestEvent

from ..conftest import make_user

pytestmark = pytest.mark.django_db


def test_a_requirement_is_triaged_by_the_unit_admin_and_reviewed_by_a_group_admin(
    unit_user_a, unit_admin_a, group_admin, tech_staff, make_request
):
    request = make_request(unit_user_a, "requirement", title="公文增加批量打印", data={"module": "公文"})
    assert request.waiting_on == "unit_admin"
    with pytest.raises(PermissionDenied, match="Unit system admin"):
        services.transition(request, to="triaged", actor=tech_staff)
    request = services.transition(request, to="triaged", actor=unit_admin_a, comment="合理")
    assert request.waiting_on == "group_admin" and request.first_answered_at is not None
    with pytest.raises(PermissionDenied, match="Group system admin"):
        services.transition(
            request, to="accepted", actor=unit_admin_a, priority="high", target_release="v3.2"
        )
    with pytest.raises(DomainError) as missing:
        services.transition(request, to="accepted", actor=group_admin, priority="high")
    assert missing.value.field == "target_release"
    request = services.transition(
        request, to="accepted", actor=group_admin, priority="high", target_release="v3.2"
    )
    assert (request.priority, request.target_release) == ("high", "v3.2")
    request = services.make_change(request, actor=group_admin)
    change = Change.objects.get(pk=request.change_id)
    assert request.code in change.reason  # linked both ways: the change names the request
    request = services.transition(request, to="in_progress", actor=group_admin)
    request = services.transition(request, to="resolved", actor=group_admin, comment="v3.2 已上线")
    with pytest.raises(PermissionDenied, match="Only the requester"):
        services.transition(request, to="closed", actor=group_admin)
    request = services.confirm(request, actor=unit_user_a, rating=5)
    assert request.state == "closed" and request.rating == 5


def test_a_requirement_is_merged_with_a_duplicate_or_rejected_with_a_reason(
    unit_user_a, unit_admin_a, group_admin, make_request
):
    first = make_request(unit_user_a, "requirement", data={"module": "流程"})
    second = make_request(unit_user_a, "requirement", data={"module": "流程"})
    second = services.transition(second, to="triaged", actor=unit_admin_a)
    second = services.transition(second, to="merged", actor=group_admin, duplicate_of=first)
    assert second.duplicate_of == first and second.state == "merged"
    third = make_request(unit_user_a, "requirement", data={"module": "流程"})
    third = services.transition(third, to="triaged", actor=unit_admin_a)
    with pytest.raises(DomainError) as no_reason:
        services.transition(third, to="rejected", actor=group_admin)
    assert no_reason.value.field == "comment"
    third = services.transition(third, to="rejected", actor=group_admin, comment="与规划不符")
    assert third.resolution == "与规划不符"
    services.rate(third, actor=unit_user_a, rating=2)


def test_support_is_answered_by_the_unit_admin_or_passed_to_the_groups_staff(
    unit_user_a, unit_admin_a, tech_staff, make_request, unit_b
):
    request = make_request(unit_user_a, "support", title="如何设置代理人")
    other_user = make_user("a-user-2", unit_user_a.person.unit, Role.USER)
    with pytest.raises(PermissionDenied):
        services.transition(request, to="in_progress", actor=other_user)
    request = services.transition(request, to="escalated", actor=unit_admin_a)
    assert request.waiting_on == "tech_staff"
    with pytest.raises(PermissionDenied, match="Group technical staff"):
        services.transition(request, to="resolved", actor=unit_admin_a)
    request = services.transition(request, to="resolved", actor=tech_staff, comment="在个人设置中")
    request = services.transition(request, to="in_progress", actor=unit_user_a, comment="仍不行")  # reopened
    assert request.completed_at is None


def test_support_that_is_a_fault_becomes_a_linked_incident(unit_user_a, unit_admin_a, make_request):
    request = make_request(unit_user_a, "support", title="流程打不开")
    request = services.make_incident(request, actor=unit_admin_a)
    incident = Incident.objects.get(pk=request.incident_id)
    assert request.state == "incident" and request.code in incident.description
    with pytest.raises(TransitionNotAllowed):
        services.make_incident(request, actor=unit_admin_a)


def test_recurring_support_creates_then_cites_a_known_error(unit_user_a, unit_admin_a, make_request):
    first = make_request(unit_user_a, "support", title="附件上传失败")
    with pytest.raises(DomainError) as bad:
        services.cite_known_error(first, actor=unit_admin_a, title="附件上传失败")
    assert bad.value.field == "workaround"
    first = services.cite_known_error(
        first, actor=unit_admin_a, title="大附件上传失败", workaround="压缩后上传"
    )
    problem = Problem.objects.get(pk=first.known_error_id)
    assert problem.is_known_error
    second = make_request(unit_user_a, "support", title="附件又传不上")
    second = services.cite_known_error(second, actor=unit_admin_a, problem=problem)
    assert second.known_error == problem
    with pytest.raises(PermissionDenied):
        services.cite_known_error(second, actor=unit_user_a, problem=problem)


def test_an_approved_account_request_creates_a_real_account_through_the_accounts_service(
    unit_user_a, unit_admin_a, make_request
):
    request = make_request(
        unit_user_a,
        "open-account",
        data={"person_name": "新同事", "username": "xin.tongshi", "department": "办公室"},
    )
    with pytest.raises(PermissionDenied, match="Only the requester|This step is for"):
        services.approve(request, actor=make_user("a-user-3", unit_user_a.person.unit, Role.USER))
    with pytest.raises(TransitionNotAllowed):
        services.carry_out(request, actor=unit_admin_a)  # not approved yet
    request = services.approve(request, actor=unit_admin_a)
    assert request.state == "approved"
    with pytest.raises(TransitionNotAllowed):
        services.approve(request, actor=unit_admin_a)  # decided already
    request, password = services.carry_out(request, actor=unit_admin_a, comment="已开通")
    user = get_user_model().objects.get(username="xin.tongshi")
    assert user.check_password(password) and user.is_active
    person = Person.objects.get(account=user)
    assert person.name == "新同事" and person.unit_id == request.unit_id
    assert request.values["account"] == "xin.tongshi"
    assert request.state == "resolved"


def test_an_account_request_with_a_taken_user_name_is_refused_and_nothing_is_half_written(
    unit_user_a, unit_admin_a, make_request
):
    request = make_request(unit_user_a, "open-account", data={"person_name": "重名", "username": "a-user"})
    request = services.approve(request, actor=unit_admin_a)
    people = Person.objects.count()
    with pytest.raises(DomainError) as taken:
        services.carry_out(request, actor=unit_admin_a)
    assert taken.value.field == "username"
    request.refresh_from_db()
    assert request.state == "approved" and Person.objects.count() == people


def test_two_approvers_in_order_then_the_named_performer(
    unit_user_a, unit_admin_a, leader_a, group_admin, make_request
):
    target = make_user("a-target", unit_user_a.person.unit, Role.USER)
    request = make_request(unit_user_a, "change-roles", data={"person": target.person.pk, "roles": "文书"})
    with pytest.raises(PermissionDenied, match="Unit system admin"):
        services.approve(request, actor=leader_a)  # the leader's turn comes second
    request = services.approve(request, actor=unit_admin_a)
    assert request.state == "approving" and request.waiting_on == "leader"
    with pytest.raises(PermissionDenied):
        services.approve(request, actor=unit_admin_a)
    request = services.approve(request, actor=leader_a)
    assert request.state == "approved" and request.waiting_on == "group_admin"
    with pytest.raises(PermissionDenied, match="Group system admin"):
        services.carry_out(request, actor=unit_admin_a)
    request, _password = services.carry_out(request, actor=group_admin, comment="已调整")
    assert request.state == "resolved"
    assert RequestEvent.objects.filter(request=request, kind="approval").count() == 2


def test_the_requester_never_approves_their_own_request(unit_a, unit_admin_a, make_request):
    request = make_request(unit_admin_a, "open-account", data={"person_name": "某人", "username": "mou.ren"})
    with pytest.raises(PermissionDenied, match="someone else decides"):
        services.approve(request, actor=unit_admin_a)
    second_admin = make_user("a-admin-2", unit_a, Role.UNIT_ADMIN)
    assert services.approve(request, actor=second_admin).state == "approved"


def test_a_group_admin_is_not_the_units_approver(unit_user_a, group_admin, make_request):
    request = make_request(unit_user_a, "open-account", data={"person_name": "某人", "username": "mou.ren"})
    with pytest.raises(PermissionDenied, match="Unit system admin"):
        services.approve(request, actor=group_admin)


def test_a_stale_version_is_refused(unit_user_a, unit_admin_a, make_request):
    request = make_request(unit_user_a, "support")
    services.transition(request, to="in_progress", actor=unit_admin_a)
    with pytest.raises(StaleEdit):
        services.transition(request, to="resolved", actor=unit_admin_a, expected_version=1)


def test_bad_form_input_names_the_field_and_writes_nothing(unit_user_a, make_request):
    from yunwei.servicedesk.models import ServiceRequest

    with pytest.raises(DomainError) as missing:
        make_request(unit_user_a, "requirement", data={})
    assert missing.value.field == "module"
    with pytest.raises(DomainError) as wrong:
        make_request(unit_user_a, "requirement", data={"module": "不存在"})
    assert wrong.value.field == "module"
    with pytest.raises(DomainError, match="larger than 2048 KB") as big:
        make_request(
            unit_user_a,
            "support",
            files={"screenshot": Upload("a.png", "image/png", b"x" * (2048 * 1024 + 1))},
        )
    assert big.value.field == "screenshot"
    with pytest.raises(DomainError, match="refused") as kind:
        make_request(
            unit_user_a, "support", files={"screenshot": Upload("a.exe", "application/x-msdownload", b"MZ")}
        )
    assert kind.value.field == "screenshot"
    with pytest.raises(DomainError) as date:
        make_request(unit_user_a, "requirement", data={"module": "公文", "wanted_by": "明天"})
    assert date.value.field == "wanted_by"
    with pytest.raises(DomainError) as title:
        make_request(unit_user_a, "support", title=" ")
    assert title.value.field == "title"
    assert not ServiceRequest.objects.exists()


def test_a_person_of_another_unit_is_refused_in_a_form(unit_user_a, unit_b, make_request):
    stranger = make_user("b-someone", unit_b, Role.USER)
    with pytest.raises(DomainError) as foreign:
        make_request(unit_user_a, "close-account", data={"person": stranger.person.pk})
    assert foreign.value.field == "person"


def test_an_internal_note_is_for_the_handlers_and_a_reply_for_the_requester(
    unit_user_a, unit_admin_a, make_request
):
    request = make_request(unit_user_a, "support")
    with pytest.raises(PermissionDenied):
        services.add_note(request, actor=unit_user_a, text="自己看")
    services.add_note(request, actor=unit_admin_a, text="此人上周问过")
    services.reply(request, actor=unit_admin_a, text="请重启浏览器")
    request.refresh_from_db()
    assert request.first_answered_at is not None
    assert list(request.events.filter(kind="note").values_list("internal", flat=True)) == [True]


def test_reply_templates_are_filled_with_the_requests_fields(unit_user_a, unit_admin_a, group, make_request):
    template = services.create_template(
        actor=unit_admin_a,
        unit=unit_user_a.person.unit,
        name="收到",
        body="{requester} 您好，{code} 涉及{module}，已收到。{unknown}",
    )
    request = make_request(unit_user_a, "requirement", data={"module": "公文"})
    assert services.fill(template, request) == f"a-user 您好，{request.code} 涉及公文，已收到。{{unknown}}"
    with pytest.raises(PermissionDenied):
        services.create_template(actor=unit_admin_a, unit=group, name="集团", body="x")


def test_bulk_assign_is_all_or_nothing(unit_user_a, unit_admin_a, unit_user_b_request, make_request):
    mine = [make_request(unit_user_a, "support") for _ in range(2)]
    with pytest.raises(DomainError) as foreign:
        services.bulk_assign([mine[0].pk, unit_user_b_request.pk], actor=unit_admin_a, assignee=unit_admin_a)
    assert foreign.value.field == "requests"
    assert services.bulk_assign([r.pk for r in mine], actor=unit_admin_a, assignee=unit_admin_a) == 2
    mine[0].refresh_from_db()
    assert mine[0].assignee == unit_admin_a


@pytest.fixture
def unit_user_b_request(unit_b, make_request):
    return make_request(make_user("b-user-x", unit_b, Role.USER), "support")


def test_catalogue_edits_are_a_group_admins_and_checked(group_admin, unit_admin_a):
    from yunwei.servicedesk.models import RequestType

    with pytest.raises(PermissionDenied):
        services.create(RequestType, actor=unit_admin_a, code="x", name="x", kind="support")
    with pytest.raises(DomainError) as bad:
        services.create(
            RequestType,
            actor=group_admin,
            code="x",
            name="x",
            kind="support",
            fields=[{"name": "a", "kind": "blob"}],
        )
    assert bad.value.field == "fields"
    with pytest.raises(DomainError) as approvers:
        services.create(
            RequestType, actor=group_admin, code="x", name="x", kind="usage", approvers=["tech_staff"]
        )
    assert approvers.value.field == "approvers"
    created = services.create(
        RequestType,
        actor=group_admin,
        code="vpn",
        name="VPN 开通",
        kind="usage",
        approvers=["unit_admin"],
        performer="unit_admin",
        fields=[{"name": "reason", "label": "理由", "kind": "text", "required": True}],
    )
    assert created.fields[0]["required"] is True


def test_editing_a_type_does_not_rewrite_a_request_made_before(unit_user_a, group_admin, make_request):
    from yunwei.servicedesk.models import RequestType

    request = make_request(unit_user_a, "support")
    support = RequestType.objects.get(code="support")
    services.update(support, actor=group_admin, expected_version=support.version, answer_minutes=10)
    request.refresh_from_db()
    assert request.policy["answer_minutes"] == 120


def test_requests_made_at_the_same_time_have_their_own_numbers(unit_user_a, make_request):
    a = make_request(unit_user_a, "support", now=datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC))
    b = make_request(unit_user_a, "support", now=datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC))
    assert a.code != b.code
