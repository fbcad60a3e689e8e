"""The setup of tests/scale/test_faults.py, run as its own process on the product's settings.

    python tests/scale/faults_driver.py setup RECEIVER_PORT ITEMS CHECKS

Makes a group unit with its admin (a superuser, whose password is the tests' PASSWORD), a technical staff
member whose notices go to a webhook channel at http://127.0.0.1:RECEIVER_PORT/hook (127.0.0.1 allowed
for channels), ITEMS servers (hostname `fault-NNN`), an Alertmanager integration with the rule
"`instance`'s host → item", and CHECKS TCP checks every 10 s against the receiver's port; all through the
services. Prints one JSON object: the unit's id, the admin's name and the integration's token.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunwei.settings")

import django  # noqa: E402

django.setup()

from tests.conftest import make_item, make_user  # noqa: E402
from yunwei.alerts import services as alerts  # noqa: E402
from yunwei.alerts.models import Integration, MappingRule  # noqa: E402
from yunwei.monitoring import services as monitoring  # noqa: E402
from yunwei.monitoring.models import Check  # noqa: E402
from yunwei.notify import services as notify  # noqa: E402
from yunwei.notify.models import Channel, Preference  # noqa: E402
from yunwei.org.choices import Role, UnitKind  # noqa: E402
from yunwei.org.models import Unit  # noqa: E402

ADMIN = "faults-admin"


def setup(receiver_port: str, items: str, checks: str) -> None:
    unit = Unit.objects.create(code="faults-group", name="故障测试集团", kind=UnitKind.GROUP)
    admin = make_user(ADMIN, unit, Role.GROUP_ADMIN, superuser=True)
    staff = make_user("faults-tech", unit, Role.TECH_STAFF)
    notify.allow_address("127.0.0.1", actor=admin, note="faults test")
    channel = notify.create(
        Channel,
        actor=admin,
        unit_id=unit.pk,
        name="故障测试回调",
        kind="webhook",
        target=f"http://127.0.0.1:{int(receiver_port)}/hook",
    )
    Preference.objects.create(user=staff, channels=[str(channel.pk)])
    servers = [
        make_item(unit, "server", f"FAULT-{k:03d}", actor=admin, hostname=f"fault-{k:03d}")
        for k in range(int(items))
    ]
    token = alerts.integrations.new_token()
    integration = Integration.objects.create(
        unit=unit,
        kind="alertmanager",
        name="faults",
        token_hash=alerts.token_hash(token),
        token_hint=token[-4:],
    )
    MappingRule.objects.create(integration=integration, label="instance", field="instance")
    spec = {"host": "127.0.0.1", "port": int(receiver_port), "timeout": 5}
    for n in range(int(checks)):
        monitoring.create(
            Check,
            actor=admin,
            name=f"回调端口检查{n:02d}",
            item=servers[n % len(servers)],
            kind="tcp",
            spec=spec,
            interval=10,
            retry_interval=10,
        )
    print(json.dumps({"unit": unit.pk, "admin": ADMIN, "token": token}))


if __name__ == "__main__":
    {"setup": setup}[sys.argv[1]](*sys.argv[2:])
