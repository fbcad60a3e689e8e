"""The problem-tracking log of Art. 5: every event of every visible problem in a month, in order, as a
page with a month picker and as an .xlsx download."""

import datetime
import io

import pytest
import time_machine
from openpyxl import load_workbook

from yunwei.problems import services

from .conftest import classify

pytestmark = pytest.mark.django_db

MARCH = datetime.datetime(2025, 3, 10, 2, 0, tzinfo=datetime.UTC)


def _sheet(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content)).active


def test_the_month_export_lists_every_event_in_order(
    api_client_for, problem, group_admin, owner_a, helper_a, unit_a, unit_admin_a
):
    with time_machine.travel(MARCH, tick=False):
        march = services.register(actor=unit_admin_a, unit=unit_a, title="三月隐患")
        classify(march, group_admin, owner_a, helper_a)
    response = api_client_for(group_admin).get(
        "/api/problems/log/", {"month": "2025-03"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    sheet = _sheet(response)
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert "2025-03" in sheet["A1"].value
    assert [row[4] for row in rows] == ["Registered", "Plan step added", "State change"]
    assert all(row[1] == march.code and row[2] == "三月隐患" for row in rows)
    assert rows[2][5:7] == ["Registered", "Classified"]
    assert rows[0][0].startswith("2025-03-10 10:00")  # shown in the group's time zone
    assert problem.code not in {row[1] for row in rows}  # registered this month, not in March


def test_the_export_is_scoped_to_the_reader_s_units(api_client_for, problem, unit_admin_b, unit_admin_a):
    month = problem.registered_at.astimezone(datetime.timezone(datetime.timedelta(hours=8))).strftime("%Y-%m")
    mine = _sheet(api_client_for(unit_admin_a).get("/api/problems/log/", {"month": month}))
    assert mine.max_row == 3
    foreign = _sheet(api_client_for(unit_admin_b).get("/api/problems/log/", {"month": month}))
    assert foreign.max_row == 2  # the title and the header only
    assert "UPS" not in str([[c.value for c in row] for row in foreign.iter_rows()])


def test_a_bad_month_is_a_400_naming_the_field(api_client_for, unit_admin_a):
    response = api_client_for(unit_admin_a).get("/api/problems/log/", {"month": "2025-13"})
    assert response.status_code == 400
    assert response.json()["field"] == "month"


def test_the_log_page_has_a_month_picker_and_the_download(client, problem, unit_admin_a):
    client.force_login(unit_admin_a)
    page = client.get("/problems/log/").content.decode()
    assert 'type="month"' in page and "/api/problems/log/?month=" in page
    assert problem.code in page
    page = client.get("/problems/log/", {"month": "2001-01"}).content.decode()
    assert problem.code not in page
    assert client.get("/problems/log/", {"month": "junk"}).status_code == 200
