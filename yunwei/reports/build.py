"""The report's figures (stored JSON, `figures.compute`) turned into one `Document`: sections, tables with
explicit column widths, and charts. The same document feeds the page (each chart through
`render.chart_option`) and the files (.docx, .pdf, .xlsx), so a figure has one source whatever shows it.

Built only from what is stored on the report (figures, the lead's text, the signature): a signed report's
document is the same whenever it is built.
"""

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yunwei.changes.choices import ChangeType
from yunwei.changes.choices import State as ChangeState
from yunwei.incidents.choices import Cause, Grade
from yunwei.logbook.choices import DrillOutcome, LogKind, RectificationState

from .document import Chart, Column, Document, Paragraph, Section, Series, Table


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or "—"


def _num(value) -> str | int | float:
    return "—" if value is None else value


def _pct(value) -> str:
    return "—" if value is None else f"{value}%"


def _text_paragraphs(text: str, empty: str) -> list[Paragraph]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return [Paragraph(line) for line in lines] or [Paragraph(empty)]


def charts(figures: dict) -> list[Chart]:
    """The report's charts, in the order the page shows them."""
    incidents = figures["incidents"]
    trend = figures["times"]["trend"]
    answer = [
        Chart(
            key="incidents-by-grade",
            title=_("Faults by grade"),
            kind="bar",
            categories=[str(g.label) for g in Grade],
            series=[Series(_("Faults"), [incidents["by_grade"].get(g.value, 0) for g in Grade])],
        ),
        Chart(
            key="incidents-by-cause",
            title=_("Faults by cause"),
            kind="pie",
            categories=[str(c.label) for c in Cause],
            series=[Series(_("Faults"), [incidents["by_cause"].get(c.value, 0) for c in Cause])],
        ),
        Chart(
            key="times-trend",
            title=_("Time to acknowledge and to restore, 12 months"),
            kind="line",
            categories=[row["month"] for row in trend],
            series=[
                Series(_("Mean time to acknowledge"), [row["ack_minutes"] for row in trend]),
                Series(_("Mean time to restore"), [row["restore_minutes"] for row in trend]),
            ],
            unit=_("minutes"),
        ),
        Chart(
            key="changes-by-outcome",
            title=_("Changes by outcome"),
            kind="bar",
            categories=[str(ChangeState(o).label) for o in figures["changes"]["by_outcome"]],
            series=[Series(_("Changes"), list(figures["changes"]["by_outcome"].values()))],
        ),
    ]
    rows = [row for row in figures["availability"] if row["actual"] is not None]
    if rows:
        answer.insert(
            0,
            Chart(
                key="availability",
                title=_("Availability against target"),
                kind="bar",
                categories=[row["indicator"] for row in rows],
                series=[
                    Series(_("Availability"), [row["actual"] for row in rows]),
                    Series(_("Target"), [row["target"] for row in rows]),
                ],
                unit="%",
            ),
        )
    return answer


def _availability(figures: dict, chart_of) -> Section:
    rows = figures["availability"]
    missed = sum(1 for row in rows if row["missed"])
    blocks: list = [
        Paragraph(
            _("%(count)s indicators were measured; %(missed)s missed their availability target.")
            % {"count": len(rows), "missed": missed}
        )
    ]
    if "availability" in chart_of:
        blocks.append(chart_of["availability"])
    blocks.append(
        Table(
            _("Availability of each application"),
            [
                Column(_("Unit"), 3.0),
                Column(_("Indicator"), 4.0),
                Column(_("Item"), 3.0),
                Column(_("Target (%)"), 2.2, numeric=True),
                Column(_("Availability (%)"), 2.6, numeric=True),
                Column(_("Missed"), 1.6),
            ],
            [
                [
                    row["unit"],
                    row["indicator"],
                    row["item"],
                    _num(row["target"]),
                    _num(row["actual"]),
                    _("yes") if row["missed"] else _("no"),
                ]
                for row in rows
            ],
            sheet="availability",
        )
    )
    return Section(_("Availability"), blocks)


def _incidents(figures: dict, chart_of) -> Section:
    incidents, times, breaches = figures["incidents"], figures["times"], figures["breaches"]
    repeats, false_alarms = figures["repeats"], figures["false_alarms"]
    summary = Paragraph(
        _(
            "%(total)s faults were reported (false alarms %(false)s and merged incidents %(merged)s counted "
            "apart); mean time to acknowledge %(ack)s minutes, to restore %(restore)s minutes; %(breaches)s "
            "missed their SLA."
        )
        % {
            "total": incidents["total"],
            "false": incidents["false_alarms"],
            "merged": incidents["merged"],
            "ack": _num(times["ack_minutes"]),
            "restore": _num(times["restore_minutes"]),
            "breaches": breaches["total"],
        }
    )
    by_grade = Table(
        _("Faults by grade"),
        [Column(_("Grade"), 5.0), Column(_("Faults"), 3.0, numeric=True)],
        [[str(g.label), incidents["by_grade"].get(g.value, 0)] for g in Grade],
        sheet="incidents_by_grade",
    )
    by_cause = Table(
        _("Faults by cause"),
        [Column(_("Cause"), 5.0), Column(_("Faults"), 3.0, numeric=True)],
        [[str(c.label), incidents["by_cause"].get(c.value, 0)] for c in Cause]
        + ([[_("Not yet known"), incidents["by_cause"][""]]] if incidents["by_cause"].get("") else []),
        sheet="incidents_by_cause",
    )
    by_unit = Table(
        _("Faults by unit"),
        [Column(_("Unit"), 6.0), Column(_("Faults"), 3.0, numeric=True)],
        [[name, n] for name, n in incidents["by_unit"].items()],
        sheet="incidents_by_unit",
    )
    trend = Table(
        _("Time to acknowledge and to restore, 12 months"),
        [
            Column(_("Month"), 2.5),
            Column(_("Faults"), 2.0, numeric=True),
            Column(_("Acknowledge (min)"), 3.2, numeric=True),
            Column(_("Restore (min)"), 3.2, numeric=True),
        ],
        [
            [row["month"], row["incidents"], _num(row["ack_minutes"]), _num(row["restore_minutes"])]
            for row in times["trend"]
        ],
        sheet="times_trend",
    )
    breach_table = Table(
        _("SLA breaches"),
        [
            Column(_("Incident"), 3.0),
            Column(_("Title"), 7.0),
            Column(_("Unit"), 3.0),
            Column(_("Grade"), 2.0),
        ],
        [[row["code"], row["title"], row["unit"], _label(Grade, row["grade"])] for row in breaches["list"]],
        sheet="sla_breaches",
    )
    repeat_table = Table(
        _("Items that failed again"),
        [
            Column(_("Item"), 3.5),
            Column(_("Name"), 6.0),
            Column(_("Unit"), 3.0),
            Column(_("Faults"), 2.0, True),
        ],
        [[row["code"], row["name"], row["unit"], row["incidents"]] for row in repeats["list"]],
        sheet="repeat_failures",
    )
    false_table = Table(
        _("False alarms (not counted as faults)"),
        [Column(_("Incident"), 3.0), Column(_("Title"), 6.0), Column(_("Unit"), 3.0), Column(_("Why"), 4.0)],
        [[row["code"], row["title"], row["unit"], row["reason"]] for row in false_alarms["list"]],
        sheet="false_alarms",
    )
    return Section(
        _("Faults"),
        [summary],
        sections=[
            Section(
                _("By grade, cause and unit"),
                [chart_of["incidents-by-grade"], by_grade, chart_of["incidents-by-cause"], by_cause, by_unit],
            ),
            Section(_("Time to acknowledge and to restore"), [chart_of["times-trend"], trend]),
            Section(
                _("SLA breaches"),
                [
                    Paragraph(
                        _("Acknowledged late: %(ack)s; restored late: %(restore)s.")
                        % {"ack": breaches["acknowledge"], "restore": breaches["restore"]}
                    ),
                    breach_table,
                ],
            ),
            Section(
                _("Items that failed again"),
                [
                    Paragraph(
                        _(
                            "%(items)s items had more than one fault; "
                            "%(following)s faults followed a closed one."
                        )
                        % {"items": repeats["items"], "following": repeats["following"]}
                    ),
                    repeat_table,
                ],
            ),
            Section(
                _("False alarms"),
                [Paragraph(_("%(n)s false alarms.") % {"n": false_alarms["total"]}), false_table],
            ),
        ],
    )


def _problems_and_changes(figures: dict, chart_of) -> list[Section]:
    problems, changes = figures["problems"], figures["changes"]
    problem_table = Table(
        _("Problems"),
        [Column(_("Figure"), 6.0), Column(_("Count"), 3.0, numeric=True)],
        [
            [_("Registered in the month"), problems["opened"]],
            [_("Closed (archived) in the month"), problems["closed"]],
            [_("Overdue at the month's end"), problems["overdue"]],
        ],
        sheet="problems",
    )
    change_table = Table(
        _("Changes by type"),
        [Column(_("Type of change"), 6.0), Column(_("Changes"), 3.0, numeric=True)],
        [[_label(ChangeType, key), n] for key, n in sorted(changes["by_type"].items())],
        sheet="changes_by_type",
    )
    outcome_table = Table(
        _("Changes by outcome"),
        [Column(_("Outcome"), 6.0), Column(_("Changes"), 3.0, numeric=True)],
        [[_label(ChangeState, key), n] for key, n in changes["by_outcome"].items()]
        + [
            [_("Emergency changes"), changes["emergency"]],
            [_("Suspected cause of a fault"), changes["suspected"]],
        ],
        sheet="changes_by_outcome",
    )
    return [
        Section(_("Problems"), [problem_table]),
        Section(
            _("Changes"),
            [
                Paragraph(_("%(n)s changes were finished.") % {"n": changes["total"]}),
                chart_of["changes-by-outcome"],
                outcome_table,
                change_table,
            ],
        ),
    ]


def _backups_and_review(figures: dict) -> list[Section]:
    backups, review = figures["backups"], figures["review"]
    backup_table = Table(
        _("Backups"),
        [Column(_("Figure"), 6.0), Column(_("Value"), 3.0, numeric=True)],
        [
            [_("Backup runs (good / finished)"), f"{backups['runs_good']} / {backups['runs']}"],
            [_("Backups by hand (good / recorded)"), f"{backups['manual_good']} / {backups['manual']}"],
            [_("Backup success rate"), _pct(backups["success_rate"])],
            [_("Days a due backup left no evidence"), backups["gap_days"]],
        ]
        + [[_label(DrillOutcome, key), n] for key, n in sorted(backups["drills"].items())],
        sheet="backups",
    )
    drill_table = Table(
        _("Restore drills"),
        [
            Column(_("Day"), 2.6),
            Column(_("Unit"), 3.0),
            Column(_("What"), 6.0),
            Column(_("Outcome"), 2.4),
            Column(_("Minutes"), 2.0, True),
        ],
        [
            [r["day"], r["unit"], r["subject"], _label(DrillOutcome, r["outcome"]), r["minutes"]]
            for r in backups["drill_list"]
        ],
        sheet="restore_drills",
    )
    finding_table = Table(
        _("Review findings and their rectification"),
        [
            Column(_("Unit"), 3.0),
            Column(_("Log"), 3.2),
            Column(_("Finding"), 7.0),
            Column(_("Rectification"), 3.0),
        ],
        [
            [
                r["unit"],
                _label(LogKind, r["log"]),
                r["text"],
                _label(RectificationState, r["rectification"]) if r["rectification"] else _("none yet"),
            ]
            for r in review["list"]
        ],
        sheet="review_findings",
    )
    return [
        Section(_("Backups and restore drills"), [backup_table, drill_table]),
        Section(
            _("Log-book review"),
            [
                Paragraph(
                    _("%(signed)s of %(reviews)s monthly reviews signed; %(findings)s findings.")
                    % {
                        "signed": review["signed"],
                        "reviews": review["reviews"],
                        "findings": review["findings"],
                    }
                ),
                finding_table,
            ],
        ),
    ]


def _compliance(figures: dict) -> Section:
    compliance = figures["compliance"]
    return Section(
        _("Compliance"),
        [
            Paragraph(
                _("Compliance score of the month: %(score)s.") % {"score": _pct(compliance["percent"])}
            ),
            Table(
                _("Compliance score by unit"),
                [Column(_("Unit"), 6.0), Column(_("Score"), 3.0, numeric=True)],
                [[row["unit"], _pct(row["percent"])] for row in compliance["units"]],
                sheet="compliance",
            ),
        ],
    )


def document(report, *, language: str | None = None) -> Document:
    """The report as a `Document`, in the site's language unless told otherwise."""
    language = language or settings.LANGUAGE_CODE
    with translation.override(language):
        figures = report.figures
        chart_of = {chart.key: chart for chart in charts(figures)}
        sections = [
            _availability(figures, chart_of),
            _incidents(figures, chart_of),
            *_problems_and_changes(figures, chart_of),
            *_backups_and_review(figures),
            _compliance(figures),
            Section(_("Analysis"), _text_paragraphs(report.analysis, _("The analysis is not written yet."))),
            Section(
                _("Plan for next month"), _text_paragraphs(report.plan, _("The plan is not written yet."))
            ),
        ]
        cover = [
            (_("Unit"), report.unit_name),
            (_("Month"), report.month_text),
            (_("Report version"), str(report.edition)),
            (_("Figures read at"), figures.get("read_at", "")[:16].replace("T", " ")),
        ]
        if report.signed_at:
            cover.append((_("Signed by"), report.signed_by_name))
            cover.append((_("Signed at"), f"{timezone.localtime(report.signed_at):%Y-%m-%d %H:%M}"))
        return Document(
            title=_("Monthly operation and maintenance analysis report"),
            subtitle=f"{report.unit_name} {report.month_text}",
            organisation=report.unit_name,
            language=language,
            sections=sections,
            cover_lines=cover,
        )


def sample_document() -> Document:
    """A small document to try a template with before it is kept (every kind of block once)."""
    with translation.override(settings.LANGUAGE_CODE):
        return Document(
            title=_("Monthly operation and maintenance analysis report"),
            subtitle=_("Template check"),
            organisation=_("Group"),
            language=settings.LANGUAGE_CODE,
            sections=[
                Section(
                    _("Faults"),
                    [
                        Paragraph(_("Template check")),
                        Table(
                            _("Faults by grade"),
                            [Column(_("Grade"), 5.0), Column(_("Faults"), 3.0, numeric=True)],
                            [[str(g.label), 1] for g in Grade],
                            sheet="sample",
                        ),
                        Chart(
                            "sample",
                            _("Faults by grade"),
                            "bar",
                            [str(g.label) for g in Grade],
                            [Series(_("Faults"), [1, 2, 3])],
                        ),
                    ],
                    sections=[Section(_("Analysis"), [Paragraph("—")])],
                )
            ],
            cover_lines=[(_("Unit"), _("Group"))],
        )
