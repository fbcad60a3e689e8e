"""Exports (issue 25): the incident, problem, change and audit lists as .xlsx, scoped as the list is, with
formula-like text kept as text; one incident as the leader's one-page report (.docx)."""

import io

import pytest
from docx import Document
from openpyxl import load_workbook

from yunwei.audit import services as audit
from yunwei.audit.models import AuditEvent
from yunwei.incidents import services as incidents

from .conftest import FORMULA_TITLES

pytestmark = pytest.mark.django_db


def sheet(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return workbook.active


def column(ws, header: str, header_row: int = 1) -> list:
    headers = [c.value for c in ws[header_row]]
    index = headers.index(header)
    return [row[index] for row in ws.iter_rows(min_row=header_row + 1, values_only=True)]


def test_incident_export_holds_the_lists_rows_and_none_of_another_unit(client, unit_admin_a, incidents_ab):
    client.force_login(unit_admin_a)
    ws = sheet(client.get("/incidents/export/"))
    codes = column(ws, "Number")
    assert sorted(codes) == sorted(i.code for i in incidents_ab["a"])
    assert incidents_ab["b"].code not in codes
    assert "乙单位机密故障" not in column(ws, "Title")


def test_incident_export_follows_the_lists_filters_and_search(client, group_admin, incidents_ab):
    client.force_login(group_admin)
    ws = sheet(client.get("/incidents/export/", {"q": "机密"}))
    assert column(ws, "Number") == [incidents_ab["b"].code]
    ws = sheet(client.get("/incidents/export/", {"unit": incidents_ab["b"].unit_id}))
    assert column(ws, "Number") == [incidents_ab["b"].code]


def test_formula_like_text_stays_text_in_the_workbook(client, unit_admin_a, incidents_ab):
    client.force_login(unit_admin_a)
    ws = sheet(client.get("/incidents/export/"))
    titles = {}
    for row in ws.iter_rows(min_row=2):
        titles[row[1].value] = row[1]
    for title in FORMULA_TITLES:
        cell = titles[title]
        assert cell.value == title
        assert cell.data_type == "s", title  # a string cell: never evaluated as a formula


def test_problem_export_is_scoped_and_keeps_formula_text(client, unit_admin_a, problems_ab):
    client.force_login(unit_admin_a)
    ws = sheet(client.get("/problems/export/"))
    assert column(ws, "Number") == [problems_ab["a"].code]
    titles = column(ws, "Title")
    assert titles == ["=甲单位隐患"]
    assert ws.cell(row=2, column=2).data_type == "s"


def test_change_export_is_scoped(client, unit_admin_a, changes_ab):
    client.force_login(unit_admin_a)
    ws = sheet(client.get("/changes/export/"))
    assert column(ws, "Number") == [changes_ab["a"].code]
    assert column(ws, "Reason") == ["+调整参数"]


def test_audit_export_is_the_group_admins_and_names_actor_and_unit(
    client, group_admin, unit_admin_a, incidents_ab, tech_a
):
    incidents.add_comment(incidents_ab["a"][0], actor=tech_a, text="已联系运营商")
    audit.seal()  # as just after the commits: the export shows the events' numbers
    client.force_login(unit_admin_a)
    assert client.get("/audit/export/").status_code == 404
    client.force_login(group_admin)
    ws = sheet(client.get("/audit/export/", {"object_type": "incidents.incident"}))
    expected = AuditEvent.objects.filter(object_type="incidents.incident").order_by("-seq")
    assert column(ws, "Number") == list(expected.values_list("seq", flat=True))
    assert None not in column(ws, "Number")
    assert set(column(ws, "Unit")) == {"甲单位", "乙单位"}
    # The person's name with the account's, never a bare number.
    assert set(column(ws, "Actor")) == {"group-admin", "system", "甲技术员 (a-tech)"}


def test_audit_export_refuses_bad_filters_naming_them(client, group_admin):
    client.force_login(group_admin)
    response = client.get("/audit/export/", {"unit_id": "x"})
    assert response.status_code == 400
    assert b"unit_id" in response.content


def test_incident_report_is_a_one_page_docx_for_the_leader(client, unit_admin_a, incidents_ab, tech_a):
    incident = incidents_ab["a"][0]
    incidents.add_comment(incident, actor=tech_a, text="已联系运营商")
    client.force_login(unit_admin_a)
    response = client.get(f"/incidents/{incident.pk}/report.docx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{incident.code}.docx"'
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert incident.code in text and "甲单位网络中断" in text
    for heading in ("What happened", "Timeline", "Notices", "Cause", "Resolution"):
        assert heading in text
    assert "已联系运营商" in text
    assert "甲单位" in cells and incident.get_grade_display() in cells


def test_incident_report_of_another_units_incident_is_not_found(client, unit_admin_a, incidents_ab):
    client.force_login(unit_admin_a)
    assert client.get(f"/incidents/{incidents_ab['b'].pk}/report.docx").status_code == 404


def test_the_problem_log_export_still_streams_through_the_shared_helper(client, unit_admin_a, problems_ab):
    client.force_login(unit_admin_a)
    response = client.get("/api/problems/log/")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    values = [row for row in ws.iter_rows(min_row=3, values_only=True)]
    assert [v[1] for v in values] == [problems_ab["a"].code]
    assert ws.cell(row=3, column=3).data_type == "s"  # "=甲单位隐患" stays text
