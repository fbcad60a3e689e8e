"""Demo indicators (运行指标, Art. 3 (1)), loaded after the monitoring demo (it reads the heartbeats that demo
declares): in the group, the OA application's availability, latency and certificate targets over two
months of day roll-ups — among them unknown time, a planned maintenance night and one bad afternoon that
misses the target — and the database's backup targets over the nightly backup's runs, whose untrusted and
failed nights miss them. Yesterday's and the earlier days' breaches are found by the daily evaluation.

The indicators are declared through the services (audited, as a person would); the roll-ups are machine
data written directly, the way the roll-up task writes them.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from yunwei.cmdb.models import Item
from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit

from . import services
from .choices import CheckKind, RollupPeriod
from .models import Check, CheckRollup, Indicator
from .services import indicators, rollups

DAYS = 61
DAY_SECONDS = 86400.0
# Days back from today: the bad afternoon (down 3 h) and the maintenance night (4 h, an approved change).
BAD_DAY, MAINTENANCE_DAY = 3, 12


def _application(unit: Unit) -> Item | None:
    return (
        Item.objects.filter(unit=unit, type__code="oa-application").order_by("code").first()
        or Item.objects.filter(unit=unit, domain="application").order_by("code").first()
    )


def _check_of(item: Item, admin) -> Check:
    """The application's HTTPS check: the monitoring demo's when it declared one, else one declared here
    with no next run — a demo on an intranet without the real OA system keeps its history and is run
    only when someone presses "Test now"."""
    existing = Check.objects.filter(item=item).order_by("pk").first()
    if existing is not None:
        return existing
    check = services.create(
        Check,
        actor=admin,
        item=item,
        name=f"{item.name} 首页",
        kind=CheckKind.HTTP,
        spec={"url": "https://oa.example.cn/", "cert_min_days": 14},
        interval=60,
    )
    Check.objects.filter(pk=check.pk).update(next_run_at=None)
    return check


def _rollups(check: Check, rng: random.Random, today: datetime.date) -> list[CheckRollup]:
    rows = []
    for back in range(DAYS, 0, -1):
        day = today - datetime.timedelta(days=back)
        down = rng.choice([0, 0, 0, 0, 60, 120])
        unknown = rng.choice([0, 0, 0, 300, 900])
        maintenance = 4 * 3600.0 if back == MAINTENANCE_DAY else 0.0
        if back == BAD_DAY:
            down = 3 * 3600.0
        no_data = rng.choice([0, 0, 0, 0, 180])
        runs = int((DAY_SECONDS - no_data) / 60)
        rows.append(
            CheckRollup(
                active_check=check,
                period=RollupPeriod.DAY,
                start=indicators.day_start(day),
                up_seconds=DAY_SECONDS - down - unknown - maintenance - no_data,
                down_seconds=down,
                unknown_seconds=unknown,
                maintenance_seconds=maintenance,
                no_data_seconds=no_data,
                runs=runs,
                latency_count=runs,
                latency_sum_ms=runs * rng.uniform(80, 160) * (3 if back == BAD_DAY else 1),
                latency_max_ms=rng.uniform(400, 900),
                cert_days_min=40.0 + back,  # renewed two months ago, a year's certificate running down
            )
        )
    return rows


def load(stdout=None) -> dict:
    """Declare the group's demo indicators, write their roll-ups and evaluate the past days; call it after
    `yunwei.monitoring.demo.load` (the backup indicator reads its heartbeats). Returns what it made."""
    rng = random.Random(36)
    admin = get_user_model().objects.get(username="admin")
    group = Unit.objects.filter(kind=UnitKind.GROUP).order_by("pk").first()
    today = timezone.localdate()
    made = []
    application = _application(group)
    if application is not None:
        check = _check_of(application, admin)
        CheckRollup.objects.bulk_create(
            _rollups(check, rng, today),
            update_conflicts=True,
            unique_fields=["active_check", "period", "start"],
            # The monitoring demo may have written these days for the same check: these figures win.
            update_fields=[*rollups.SUMMED_FIELDS, "no_data_seconds", "latency_max_ms", "cert_days_min"],
        )
        made.append(
            services.create(
                Indicator,
                actor=admin,
                item=application,
                name=f"{application.name}可用性",
                checks=[check],
                availability_target="99.5",
                latency_target_ms=300,
                cert_days_target=30,
            )
        )
    # The database whose nightly backup the monitoring demo declares (its first job of the group).
    database = Item.objects.filter(heartbeats__unit=group, heartbeats__kind="backup").order_by("code").first()
    if database is not None:
        made.append(
            services.create(
                Indicator,
                actor=admin,
                item=database,
                name=f"{database.name}备份",
                backup_age_target_hours=26,
                backup_success_target="95",
            )
        )
    breaches = []
    for back in range(DAYS, 0, -1):
        breaches += indicators.evaluate_day(today - datetime.timedelta(days=back))
    if stdout is not None:
        stdout.write(f"Indicators: {len(made)} indicators, {len(breaches)} breaches.")
    return {"indicators": made, "breaches": breaches}
