"""Incidents as files (Art. 13): the filtered list as an .xlsx workbook, and one incident as the one-page
report (.docx) the leader in charge files — what happened, grade, timeline, notices, cause, resolution.

Both take incidents the caller may see (the list's scoped queryset, or one found through it)."""

import io

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from docx import Document
from docx.shared import Cm, Pt

from .choices import EventKind
from .models import Incident

TIMELINE_LINES = 20


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def headers() -> list[str]:
    return [
        _("Number"),
        _("Title"),
        _("Grade"),
        _("State"),
        _("Cause"),
        _("Unit"),
        _("Impact scope"),
        _("Started at"),
        _("Reported at"),
        _("Restored at"),
        _("Closed at"),
        _("Assignee"),
        _("Team"),
        _("Description"),
        _("Resolution summary"),
    ]


WIDTHS = (12, 36, 8, 12, 12, 16, 14, 17, 17, 17, 17, 12, 14, 48, 48)


def rows(incidents):
    """One row per incident, read a chunk at a time so a large export is never held whole."""
    incidents = incidents.select_related("unit", "assignee", "team")
    for incident in incidents.iterator(chunk_size=2000):
        yield [
            incident.code,
            incident.title,
            incident.get_grade_display(),
            incident.get_state_display(),
            incident.get_cause_category_display(),
            incident.unit.name,
            incident.get_impact_scope_display(),
            _local(incident.started_at),
            _local(incident.reported_at),
            _local(incident.restored_at),
            _local(incident.closed_at),
            incident.assignee.name if incident.assignee else "",
            incident.team.name if incident.team else "",
            incident.description,
            incident.resolution_summary,
        ]


def _in_language(texts: dict) -> str:
    """A notice's subject in the reader's language, else the first it has."""
    if not texts:
        return ""
    return texts.get(translation.get_language()) or next(iter(texts.values()))


def report_docx(incident: Incident) -> bytes:
    """The incident report for the leader: one page, a heading, the facts as a table, the timeline,
    the notices sent, the cause and the resolution."""
    document = Document()
    section = document.sections[0]
    section.top_margin = section.bottom_margin = Cm(1.8)
    section.left_margin = section.right_margin = Cm(2)
    style = document.styles["Normal"]
    style.font.size = Pt(10)
    document.add_heading(_("Incident report %(code)s") % {"code": incident.code}, level=1)
    document.add_paragraph(incident.title)

    facts = [
        (_("Unit"), incident.unit.name),
        (_("Grade"), incident.get_grade_display()),
        (_("State"), incident.get_state_display()),
        (_("Impact scope"), incident.get_impact_scope_display()),
        (_("Started at"), _local(incident.started_at)),
        (_("Reported at"), _local(incident.reported_at)),
        (_("Restored at"), _local(incident.restored_at) or "—"),
        (_("Closed at"), _local(incident.closed_at) or "—"),
        (_("Assignee"), incident.assignee.name if incident.assignee else "—"),
    ]
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in facts:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = str(label), str(value)

    document.add_heading(_("What happened"), level=2)
    document.add_paragraph(incident.description or "—")

    document.add_heading(_("Timeline"), level=2)
    # One page: the handling's steps, not the monitoring signals folded in (the page lists those).
    events = incident.events.exclude(kind=EventKind.SIGNAL)
    for event in events[:TIMELINE_LINES]:
        line = f"{_local(event.at)}  {event.get_kind_display()}"
        if event.to_state:
            line += f" → {event.get_to_state_display()}"
        if event.actor_name:
            line += f" · {event.actor_name}"
        if event.comment:
            line += f": {event.comment[:200]}"
        document.add_paragraph(line, style="List Bullet")
    more = events.count() - TIMELINE_LINES
    if more > 0:
        document.add_paragraph(_("… and %(count)s more on the incident's page.") % {"count": more})

    document.add_heading(_("Notices"), level=2)
    notices = list(incident.notices.all())
    for notice in notices:
        document.add_paragraph(
            f"{_local(notice.sent_at)}  {notice.get_kind_display()}: {_in_language(notice.subject)}",
            style="List Bullet",
        )
    if not notices:
        document.add_paragraph(_("No notice sent."))

    document.add_heading(_("Cause"), level=2)
    cause = incident.get_cause_category_display() or _("Not determined yet.")
    document.add_paragraph(f"{cause} {incident.cause_detail}".strip())

    document.add_heading(_("Resolution"), level=2)
    document.add_paragraph(incident.resolution_summary or _("Not restored yet."))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
