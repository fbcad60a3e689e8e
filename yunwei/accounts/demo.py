"""Demo delegation (职务代理) and a sample directory rule. The demo has no directory: the rule shows
what a rule looks like and matches nobody until YUNWEI_LDAP_URL points at one."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Unit

from . import delegation, provisioning


def load(stdout=None) -> dict:
    User = get_user_model()
    admin = User.objects.get(username="admin")
    # The power company's leader is away on a training course next week; its system admin stands in.
    leader, deputy = User.objects.get(username="power-leader"), User.objects.get(username="power-admin")
    start = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0) + datetime.timedelta(
        days=7
    )
    row = delegation.name_deputy(
        leader,
        deputy=deputy,
        starts_at=start,
        ends_at=start + datetime.timedelta(days=5),
        actor=leader,
        reason="参加集团培训",
    )
    rule = provisioning.create_rule(
        actor=admin,
        group_dn="cn=oa-users,ou=groups,dc=example,dc=cn",
        unit=Unit.objects.get(kind=UnitKind.GROUP),
        role=Role.USER,
    )
    if stdout:
        stdout.write("Delegation and a sample directory rule loaded.")
    return {"delegation": row, "rule": rule}
