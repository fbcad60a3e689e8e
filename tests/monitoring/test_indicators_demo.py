"""The demo indicators, loaded after the monitoring demo as `yunwei demo` would: two months of figures with
unknown and maintenance time shown, and the breaches the daily evaluation found in them."""

import datetime

import pytest
import time_machine

from yunwei.cmdb import demo as cmdb_demo
from yunwei.monitoring import demo as monitoring_demo
from yunwei.monitoring import indicator_demo
from yunwei.monitoring.models import Indicator, IndicatorBreach
from yunwei.monitoring.services import indicators
from yunwei.org import demo as org_demo

pytestmark = pytest.mark.django_db

LOADED_AT = datetime.datetime(2026, 3, 10, 6, 0, tzinfo=datetime.UTC)  # 14:00 in Shanghai


def test_the_demo_indicators_show_their_figures_and_breaches():
    org_demo.load()
    cmdb_demo.load()
    with time_machine.travel(LOADED_AT):
        monitoring_demo.load()
        made = indicator_demo.load()
        again = indicators.evaluate_day(datetime.date(2026, 3, 9))
    application, database = made["indicators"]
    assert Indicator.objects.count() == 2 and again == []
    bad_day = datetime.date(2026, 3, 10) - datetime.timedelta(days=indicator_demo.BAD_DAY)
    assert IndicatorBreach.objects.filter(indicator=application, figure="availability", day=bad_day).exists()
    assert IndicatorBreach.objects.filter(indicator=database, figure="backup_success").exists()
    february = indicators.figures(application, "2026-02", now=LOADED_AT).total
    assert february.unknown_seconds > 0 and february.maintenance_seconds == 4 * 3600
    assert 99 < february.availability < 100 and february.cert_days_min > 30
    backups = indicators.figures(database, "2026-02", now=LOADED_AT).total
    assert backups.backups_finished >= 28 and backups.backups_good < backups.backups_finished
