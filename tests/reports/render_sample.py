"""A realistic monthly report Document for the renderers' tests (Chinese titles, rare characters)."""

from __future__ import annotations

from yunwei.reports.document import Chart, Column, Document, Paragraph, Section, Series, Table

MONTHS = [f"{m}月" for m in range(1, 13)]
RARE_EXT_A = "䶮"  # U+4DAE, CJK Ext-A: the shipped font has it
BEYOND_BMP = "𠀀"  # U+20000, CJK Ext-B: the shipped font lacks it

INCIDENTS_BY_GRADE = [
    ["一级（特别重大）", 0, 0, "—"],
    ["二级（重大）", 1, 1, "4.5"],
    ["三级（较大）", 6, 5, "2.1"],
    ["四级（一般）", 23, 23, "0.8"],
]


def sample_document(charts: int = 2) -> Document:
    monthly = Chart(
        key="incidents-monthly",
        title="近十二个月事件数量",
        kind="line",
        categories=MONTHS,
        series=[
            Series("事件", [12, 9, 14, 20, 17, 11, 8, 15, 19, 22, 18, 30]),
            Series("问题", [2, 1, 3, None, 2, 1, 0, 2, 4, 3, 2, 5]),
        ],
        unit="件",
    )
    by_grade = Chart(
        key="incidents-grade",
        title="本月事件等级分布",
        kind="pie",
        categories=[row[0] for row in INCIDENTS_BY_GRADE],
        series=[Series("事件", [row[1] for row in INCIDENTS_BY_GRADE])],
    )
    extra = [
        Chart(
            key=f"availability-{n}",
            title=f"系统可用率（第{n}组）",
            kind="bar",
            categories=["OA门户", "邮件", "公文", "档案"],
            series=[Series("可用率", [99.95, 99.9, 100.0, 99.5]), Series("目标", [99.9, 99.9, 99.9, 99.9])],
            unit="%",
        )
        for n in range(1, max(charts - 2, 0) + 1)
    ]
    table = Table(
        title="本月事件按等级统计",
        columns=[
            Column("事件等级", 4.5),
            Column("发生数", 2.5, numeric=True),
            Column("已关闭", 2.5, numeric=True),
            Column("平均恢复时长（小时）", 4.0),
        ],
        rows=[list(r) for r in INCIDENTS_BY_GRADE],
        sheet="事件按等级",
    )
    people = Table(
        title="值班人员",
        columns=[Column("姓名", 3.0), Column("岗位", 4.0), Column("备注", 6.0)],
        rows=[
            [f"刘{RARE_EXT_A}", "系统管理员", "=1+1"],
            [f"张{BEYOND_BMP}", "网络管理员", "+86 010 1234"],
            ["李四", "值班长", "@note"],
        ],
        sheet="值班人员",
    )
    return Document(
        title="运维分析月报",
        subtitle="信息中心 · 2026年11月",
        organisation="某集团有限公司",
        language="zh-hans",
        cover_lines=[
            ("编制", f"刘{RARE_EXT_A}"),
            ("审核", "王五"),
            ("版本", "V1"),
            ("发布日期", "2026-12-05"),
        ],
        sections=[
            Section(
                "运行概况",
                blocks=[Paragraph("本月 OA 系统总体运行平稳，核心业务可用率达到 99.95%。")],
                sections=[
                    Section("事件统计", blocks=[table, monthly, by_grade]),
                    Section("可用率", blocks=[Paragraph("各系统可用率如下。"), *extra]),
                ],
            ),
            Section(
                "人员与值班",
                blocks=[Paragraph(f"本月由刘{RARE_EXT_A}、张{BEYOND_BMP}等人值班。"), people],
            ),
            Section("下月计划", blocks=[Paragraph("完成机房空调更换；开展应急演练。")]),
        ],
    )


HEADINGS = ["1 运行概况", "1.1 事件统计", "1.2 可用率", "2 人员与值班", "3 下月计划"]
