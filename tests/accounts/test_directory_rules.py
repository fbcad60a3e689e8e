"""The directory rules' pages: group system admins write them; bad input names the field."""

import pytest
from django.urls import reverse
from django.utils import translation

from yunwei.accounts.models import DirectoryRule
from yunwei.audit.models import AuditEvent
from yunwei.org.choices import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_a_group_admin_writes_a_rule_audited(client, group_admin, unit_a):
    client.force_login(group_admin)
    data = {
        "group_dn": "cn=oa-users,ou=groups,dc=example,dc=cn",
        "unit": unit_a.pk,
        "role": Role.USER,
        "order": 10,
    }
    assert client.post(reverse("accounts:directory-rule-create"), data).status_code == 302
    rule = DirectoryRule.objects.get()
    assert (rule.unit, rule.role, rule.created_by) == (unit_a, Role.USER, group_admin)
    assert AuditEvent.objects.filter(object_type="accounts.directoryrule", action="create").exists()
    page = client.get(reverse("accounts:directory-rule-list")).content.decode()
    assert "cn=oa-users,ou=groups,dc=example,dc=cn" in page
    again = client.post(reverse("accounts:directory-rule-create"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert again.context["form"].errors["group_dn"] == [
        "A rule for this group, unit and role exists already."
    ]


def test_a_group_dn_that_is_no_dn_is_refused_naming_the_field(client, group_admin, unit_a):
    client.force_login(group_admin)
    data = {"group_dn": "oa-users", "unit": unit_a.pk, "role": Role.USER, "order": 10}
    response = client.post(reverse("accounts:directory-rule-create"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert "group_dn" in response.context["form"].errors
    assert not DirectoryRule.objects.exists()


def test_a_unit_admin_reads_their_units_rules_and_writes_none(client, group_admin, unit_admin_a, unit_a):
    from yunwei.accounts import provisioning

    rule = provisioning.create_rule(
        actor=group_admin, group_dn="cn=a,dc=example", unit=unit_a, role=Role.USER
    )
    client.force_login(unit_admin_a)
    assert "cn=a,dc=example" in client.get(reverse("accounts:directory-rule-list")).content.decode()
    assert client.get(reverse("accounts:directory-rule-create")).status_code == 403
    assert client.post(reverse("accounts:directory-rule-edit", args=[rule.pk]), {}).status_code == 403
    assert client.post(reverse("accounts:directory-rule-delete", args=[rule.pk])).status_code == 403
    assert DirectoryRule.objects.filter(pk=rule.pk).exists()
