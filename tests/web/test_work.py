"""The dashboard's work in hand: open and late incidents, problems past their deadline or awaiting
verification, changes awaiting approval, counted over what the user may see."""

import pytest
from django.urls import reverse

from yunwei.changes import services as changes
from yunwei.incidents import services as incidents
from yunwei.problems import services as problems

from ..changes.conftest import new_change
from ..conftest import make_item

pytestmark = pytest.mark.django_db


def _figures(client, user) -> dict[str, str]:
    client.force_login(user)
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 200
    return {figure.key: figure.count for figure in response.context["work"]}


def test_work_in_hand_counts_only_the_units_the_user_sees(
    client, unit_a, unit_admin_a, group_admin, unit_admin_b
):
    incidents.report(actor=unit_admin_a, unit=unit_a, title="邮件系统无法登录")
    problems.register(actor=unit_admin_a, unit=unit_a, title="UPS 电池老化", origin="inspection")
    server = make_item(unit_a, "server", "SRV-A", actor=group_admin, name="服务器")
    changes.transition(new_change(unit_admin_a, unit_a, [server]), to="submitted", actor=unit_admin_a)

    mine = _figures(client, unit_admin_a)
    assert mine["open-incidents"] == 1 and mine["changes-to-approve"] == 1
    assert mine["overdue-problems"] == 0 and mine["problems-to-verify"] == 0
    assert _figures(client, group_admin)["open-incidents"] == 1
    assert set(_figures(client, unit_admin_b).values()) == {0}

    page = client.get(reverse("web:dashboard")).content.decode()
    assert f"{reverse('changes:change-list')}?state=submitted" in page
