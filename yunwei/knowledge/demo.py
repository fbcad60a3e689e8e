"""Demo knowledge base: articles in zh-Hans for the whole group and for units, one draft, and a few
readers' answers to "was this helpful?". The problem demo's published known errors are already here
(mirrored when they were published)."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit

from . import services
from .models import Article

GROUP_ARTICLES = [
    (
        "OA 系统登录失败怎么办",
        "1. 确认用户名为本人工号，密码区分大小写。\n2. 连续输错五次会被锁定一段时间，请稍后再试。\n"
        "3. 清除浏览器缓存后重新登录。\n仍无法登录时，请联系本单位系统管理员重置密码。",
    ),
    (
        "公文审批流程定制申请指南",
        "需要新增或调整审批流程（流程定制）时，请由本单位办公室提出使用审批申请，写明流程名称、"
        "各环节审批人和适用范围。集团系统管理员进行技术审查后统一配置。",
    ),
    (
        "如何恢复误删的文档",
        "OA 文档每日凌晨自动备份，保留三十天。误删后请尽快联系系统管理员，说明文档名称和删除时间，"
        "管理员可从备份中恢复。",
    ),
    (
        "浏览器和插件要求",
        "推荐使用最新版 Chrome 或 Edge 浏览器。正文编辑和电子签章需要安装控件，首次使用时按页面提示安装。",
    ),
]
UNIT_ARTICLES = {
    "power": [
        ("电力公司打印机共享设置", "在“设备和打印机”中添加网络打印机，地址向本单位系统管理员索取。"),
        ("数据备份检查清单", "每周一检查备份任务是否成功、备份文件大小是否正常，并在备份日志中签字。"),
    ],
    "coal": [("煤业公司视频会议使用说明", "会议室终端开机后，在 OA 日程中点击“加入会议”即可。")],
}


def load(stdout=None) -> dict:
    User = get_user_model()
    admin = User.objects.get(username="admin")
    group = Unit.objects.get(kind=UnitKind.GROUP)
    now = timezone.now()
    articles = [
        services.create_article(actor=admin, unit=group, title=title, body=body, publish=True, now=now)
        for title, body in GROUP_ARTICLES
    ]
    for code, rows in UNIT_ARTICLES.items():
        unit = Unit.objects.get(code=code)
        articles += [
            services.create_article(actor=admin, unit=unit, title=title, body=body, publish=True, now=now)
            for title, body in rows
        ]
    services.create_article(
        actor=admin,
        unit=group,
        title="移动办公客户端安装（草稿）",
        body="手机客户端正在测试，发布后在此说明下载和登录方法。",
    )
    readers = list(User.objects.filter(username__endswith="-user").order_by("username"))
    for i, reader in enumerate(readers):
        for article in articles[:3]:
            if services.readable(Article.objects.filter(pk=article.pk), reader).exists():
                services.vote(
                    article, user=reader, helpful=(i % 3 != 2), now=now - datetime.timedelta(hours=i)
                )
    if stdout:
        stdout.write(f"Knowledge base: {Article.objects.count()} articles (known errors included).")
    return {"articles": articles}
