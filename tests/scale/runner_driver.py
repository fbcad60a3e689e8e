"""The dispatcher side of tests/scale/test_check_runner.py, run as its own process on the product's settings.

    python tests/scale/runner_driver.py setup PORT CHECKS FIRST_SLOT
    python tests/scale/runner_driver.py dispatch START_EPOCH GAP FIRST_NOW ROUNDS INTERVAL

`setup` makes a unit, its admin, an item and CHECKS TCP checks against 127.0.0.1:PORT through the
services, all due at FIRST_SLOT. `dispatch` calls the product's dispatcher ROUNDS times, round k at wall
clock START_EPOCH + k·GAP (so two drivers started with the same arguments dispatch at the same moments)
with `now` = FIRST_NOW + k·INTERVAL (ten checks a call, until a call claims none), and prints every
(check id, slot) it claimed as one JSON list.
"""

import datetime
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunwei.settings")

import django  # noqa: E402

django.setup()

from tests.conftest import make_item, make_user  # noqa: E402
from yunwei.monitoring import services  # noqa: E402
from yunwei.monitoring.models import Check  # noqa: E402
from yunwei.org.choices import Role, UnitKind  # noqa: E402
from yunwei.org.models import Unit  # noqa: E402


def setup(port: str, checks: str, first_slot: str) -> None:
    unit = Unit.objects.create(code="scale-group", name="规模测试集团", kind=UnitKind.GROUP)
    admin = make_user("scale-runner-admin", unit, Role.GROUP_ADMIN)
    item = make_item(unit, "application", "SCALE-APP", actor=admin, name="规模测试应用")
    spec = {"host": "127.0.0.1", "port": int(port), "timeout": 5}
    fields = {"item": item, "kind": "tcp", "spec": spec, "interval": 10, "retry_interval": 10}
    for n in range(int(checks)):
        services.create(Check, actor=admin, name=f"端口检查{n:03d}", **fields)
    Check.objects.update(next_run_at=datetime.datetime.fromisoformat(first_slot))


def dispatch(start: str, gap: str, first_now: str, rounds: str, interval: str) -> None:
    claimed = []
    for k in range(int(rounds)):
        time.sleep(max(0.0, float(start) + k * float(gap) - time.time()))
        now = datetime.datetime.fromisoformat(first_now) + datetime.timedelta(seconds=k * int(interval))
        # In small bites, so the two dispatchers' transactions interleave within the round.
        while won := services.dispatch_due(now, limit=10):
            claimed += [(pk, slot.isoformat()) for pk, slot in won]
    print(json.dumps(claimed))


if __name__ == "__main__":
    {"setup": setup, "dispatch": dispatch}[sys.argv[1]](*sys.argv[2:])
