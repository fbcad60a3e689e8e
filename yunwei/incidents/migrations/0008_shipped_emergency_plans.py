from django.db import migrations
from django.utils import timezone

# Art. 13 as shipped: an emergency plan (应急预案) for each grade and each cause of the flow, with its
# steps, its verification checklist and whether service is suspended, so a fresh install handles a fault
# under a plan from its first day. The group edits them as data afterwards (each edit a new version).
CAUSES = {
    "power": ("电力", ["确认市电与UPS状态", "切换至备用电源回路", "通知有线科检查配电柜", "逐台恢复设备供电"]),
    "server": (
        "服务器",
        ["登录管理口确认硬件告警", "将业务切换至备用服务器", "更换故障部件或联系厂家", "恢复主服务器"],
    ),
    "storage": (
        "存储",
        ["检查存储控制器与链路", "确认数据一致性", "切换至备用存储或恢复快照", "重新挂载业务卷"],
    ),
    "network": ("网络", ["定位故障链路与设备", "切换备用链路", "检查交换机与防火墙配置", "恢复主链路"]),
    "application": (
        "应用系统软件",
        ["查看应用与中间件日志", "重启应用服务", "回退最近的变更", "清理缓存与会话"],
    ),
    "other": ("其他", ["召集技术人员会商", "按影响范围隔离故障", "实施修复方案"]),
}
GRADES = {"II": "Ⅱ", "III": "Ⅲ"}
VERIFICATION = ["登录与单点认证正常", "公文流转全流程测试通过", "关键业务数据核对无误"]
SEVERE_FIRST_STEP = {"text": "向分管领导汇报并启动Ⅱ级应急响应", "role": "system_lead", "minutes": 5}
DESCRIPTION = "随系统发布的集团默认应急预案，请结合本集团实际修订后发布新版本。"


def plan_content(grade: str, cause: str) -> dict:
    name, texts = CAUSES[cause]
    steps = [{"text": text, "role": "tech_staff", "minutes": 10 + 5 * i} for i, text in enumerate(texts)]
    if grade == "II":
        steps.insert(0, dict(SEVERE_FIRST_STEP))
    return {
        "code": f"{cause}-{grade.lower()}",
        "title": f"{name}故障{GRADES[grade]}级应急预案",
        "grade": grade,
        "cause_category": cause,
        "revision": 1,
        "suspend_service": grade == "II" and cause != "other",
        "steps": steps,
        "notice_templates": {},
        "verification": list(VERIFICATION),
    }


def ship(apps, schema_editor):
    """Write the shipped emergency plans, one per grade and cause, where the group has none for that grade
    and cause yet (an existing plan, in force or not, is the group's own choice and is left alone); each
    gets its first version in the plan's history."""
    EmergencyPlan = apps.get_model("incidents", "EmergencyPlan")
    PlanRevision = apps.get_model("incidents", "PlanRevision")
    now = timezone.now()
    for grade in GRADES:
        for cause in CAUSES:
            if EmergencyPlan.objects.filter(grade=grade, cause_category=cause).exists():
                continue
            content = plan_content(grade, cause)
            if EmergencyPlan.objects.filter(code=content["code"]).exists():
                content["code"] = f"{content['code']}-shipped"
            plan = EmergencyPlan.objects.create(description=DESCRIPTION, is_active=True, **content)
            snapshot = {"id": plan.pk, **content}
            PlanRevision.objects.create(plan=plan, revision=1, snapshot=snapshot, created_at=now)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0007_manual_grade_and_plan_replacement")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
