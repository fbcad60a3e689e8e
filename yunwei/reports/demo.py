"""Demo monthly reports (Art. 6): for each unit and for the group, the three months before this one
generated from the demo's records and signed by the group's system management lead (the archive), and this
month's report as a draft. Loaded after compliance (the report reads its scores). The files are made at
their first download, from the figures stored when signed (rendering a dozen documents here would slow the
first start); they are then kept as they are."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit

from . import services

ARCHIVED = 3
ANALYSIS = (
    "本月系统总体运行平稳，核心应用可用率达到目标。故障以网络和服务器类为主，均在时限内恢复；"
    "对重复发生故障的设备已登记问题并跟踪处理。\n备份按计划执行，恢复演练通过。"
)
PLAN = "完成核心交换机冗余改造；开展一次数据恢复演练；督促上月检查发现问题的整改闭环。"


def load(stdout=None) -> dict:
    User = get_user_model()
    lead = User.objects.filter(username="lead").first()
    admin = User.objects.filter(username="admin").first() or lead
    if lead is None:
        return {"reports": 0}
    today = timezone.localdate()
    this_month = today.replace(day=1)
    months = []
    month = this_month
    for _n in range(ARCHIVED):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
        months.insert(0, month)
    units = [None, *Unit.objects.filter(kind=UnitKind.UNIT, is_active=True).order_by("code")]
    made = 0
    for unit in units:
        for month in months:
            report = services.open_report(unit, month, actor=admin)
            services.request_generation(report, actor=admin, queue=False)
            services.execute(report.pk, render_files=False)
            report.refresh_from_db()
            report = services.save_text(
                report, actor=lead, analysis=ANALYSIS, plan=PLAN, expected_version=report.version
            )
            services.sign(report, actor=lead, password=settings.DEMO_PASSWORD, render_files=False)
            made += 1
        services.open_report(unit, this_month, actor=admin)
        made += 1
    if stdout is not None:
        stdout.write(f"Monthly reports: {made}")
    return {"reports": made}
