"""The OpenAPI schema documents every operation: a summary, the error answers it can give with the body
the exception handler really renders, and links from each create to the record it made."""

import jsonschema
import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

METHODS = {"get", "post", "put", "patch", "delete"}
UNSAFE = {"post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in METHODS:
                yield path, method, operation


def _error_ref(answer) -> str:
    return answer["content"]["application/json"]["schema"]["$ref"]


def test_every_operation_has_an_english_summary(schema):
    missing = [f"{m.upper()} {p}" for p, m, o in _operations(schema) if not o.get("summary", "").strip()]
    assert missing == []
    summaries = [o["summary"] for _, _, o in _operations(schema)]
    assert all(summary.isascii() for summary in summaries), [s for s in summaries if not s.isascii()]
    by_id = {o["operationId"]: o["summary"] for _, _, o in _operations(schema)}
    assert by_id["incidents_create"] == "Create an incident"
    assert by_id["org_units_partial_update"] == "Update a unit"
    assert by_id["incidents_list"] == "List incidents"


def test_every_operation_documents_its_error_answers(schema):
    gaps = []
    for path, method, operation in _operations(schema):
        answers = operation["responses"]
        expected = set()
        if method in UNSAFE or any(p["in"] == "query" for p in operation.get("parameters", [])):
            expected.add("400")
        expected.add("403")
        if operation.get("security") != [{}] and path != "/api/auth/token/":
            expected.add("401")
        if "{" in path:
            expected.add("404")
        if method in {"put", "patch"} or path.endswith("/transition/"):
            expected.add("409")
        for code in sorted(expected - set(answers)):
            gaps.append(f"{method.upper()} {path}: no {code}")
        for code in expected & set(answers):
            if _error_ref(answers[code]) != "#/components/schemas/Error":
                gaps.append(f"{method.upper()} {path}: {code} is not the error body")
    assert gaps == []


def test_a_record_never_deleted_offers_no_delete(schema):
    """A flow's record (an incident), an article, a log-book entry answer DELETE with 405: the schema
    does not offer an operation that never succeeds."""
    for path in ("/api/incidents/{id}/", "/api/knowledge/articles/{id}/", "/api/logbook/notes/{id}/"):
        assert "delete" not in schema["paths"][path]
    assert "delete" in schema["paths"]["/api/org/teams/{id}/"]


def test_the_error_body_names_the_field(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail"]
    assert set(error["properties"]) == {"detail", "field", "errors"}


def test_creates_link_to_the_operations_on_the_record_they_made(schema):
    links = schema["paths"]["/api/incidents/"]["post"]["responses"]["201"]["links"]
    assert links["incidents_retrieve"] == {
        "operationId": "incidents_retrieve",
        "parameters": {"id": "$response.body#/id"},
    }
    # A write that asks for the version read gets the created record's.
    assert links["incidents_partial_update"]["requestBody"] == {"version": "$response.body#/version"}
    assert "incidents_transition_create" in links
    # Only the record's own operations: not another collection's under the same prefix.
    assert not any(name.startswith("incidents_drills") for name in links)
    linked = {
        path
        for path, operations in schema["paths"].items()
        for operation in operations.values()
        if isinstance(operation, dict) and "links" in operation.get("responses", {}).get("201", {})
    }
    assert {"/api/org/teams/", "/api/cmdb/items/", "/api/changes/", "/api/problems/"} <= linked


def test_the_rendered_errors_match_the_documented_body(
    schema, group_admin, unit_admin_b, team_a, api_client_for
):
    http = api_client_for(group_admin)
    bad = http.post("/api/org/teams/", {"unit": team_a.unit_id, "code": "t-2", "name": ""}, format="json")
    stale_first = http.patch(f"/api/org/teams/{team_a.pk}/", {"name": "第一", "version": 1}, format="json")
    stale = http.patch(f"/api/org/teams/{team_a.pk}/", {"name": "第二", "version": 1}, format="json")
    hidden = api_client_for(unit_admin_b).get(f"/api/org/teams/{team_a.pk}/")
    anonymous = api_client_for(None).get("/api/org/teams/")
    assert (bad.status_code, stale_first.status_code, stale.status_code) == (400, 200, 409)
    assert (hidden.status_code, anonymous.status_code) == (404, 401)
    assert bad.json()["field"] == "name" and "name" in bad.json()["errors"]
    assert stale.json()["field"] == "version"
    error = schema["components"]["schemas"]["Error"]  # no references inside
    for response in (bad, stale, hidden, anonymous):
        jsonschema.validate(response.json(), error)


def test_the_schema_builds_and_validates_without_a_warning(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")


@pytest.mark.parametrize(
    ("path", "method", "code", "component"),
    [
        # Each found by the fuzzer: the answer the view gives, which the schema named otherwise.
        ("/api/reports/reports/{id}/generate/", "post", "202", "Report"),
        ("/api/reports/reports/{id}/correct/", "post", "201", "Report"),
        ("/api/logbook/reviews/{id}/findings/", "post", "201", "Finding"),
        ("/api/logbook/findings/{id}/rectify/", "post", "201", "Rectification"),
        ("/api/compliance/results/{id}/exempt/", "post", "201", "Exemption"),
        ("/api/compliance/scores/", "get", "200", "Scores"),
        ("/api/servicedesk/requests/", "post", "201", "RequestDetail"),
        ("/api/monitoring/checks/{id}/run/", "post", "200", "CheckResult"),
        ("/api/monitoring/checks/{id}/results/", "get", "200", "PaginatedCheckResultList"),
        ("/api/monitoring/checks/{id}/events/", "get", "200", "PaginatedCheckEventList"),
        ("/api/monitoring/indicators/{id}/figures/", "get", "200", "IndicatorFigures"),
        ("/api/alerts/integrations/{id}/payloads/", "get", "200", "PaginatedPayloadList"),
    ],
)
def test_the_success_answer_documented_is_the_one_given(schema, path, method, code, component):
    answer = schema["paths"][path][method]["responses"][code]
    assert answer["content"]["application/json"]["schema"]["$ref"] == f"#/components/schemas/{component}"


def test_a_read_only_field_is_null_or_blank_where_the_model_allows_it(schema):
    """DRF drops `allow_null` / `allow_blank` from read-only fields; the schema restores them from the
    model (found by the fuzzer: an alert without an item, an incident not yet proposed a grade)."""
    components = schema["components"]["schemas"]
    assert components["Alert"]["properties"]["item_code"]["nullable"] is True
    assert components["Person"]["properties"]["username"]["nullable"] is True
    grades = components["Incident"]["properties"]["proposed_grade"]["oneOf"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in grades
    # A required choice stays without a blank.
    assert "oneOf" not in components["Alert"]["properties"]["status"]


def test_answers_beyond_the_usual_are_documented(schema):
    """A unit named in the query that the caller cannot see is a 404; a request line too long for the web
    server a 414 (its own page, no JSON)."""
    assert "404" in schema["paths"]["/api/logbook/month/"]["get"]["responses"]
    assert "404" in schema["paths"]["/api/servicedesk/calendar/import/"]["post"]["responses"]
    too_long = schema["paths"]["/api/incidents/"]["get"]["responses"]["414"]
    assert "content" not in too_long
