"""Every route has a foreign-unit case: a unit admin and a plain user of unit B reach nothing of unit A.

`test_every_route_has_a_foreign_unit_case` walks the URL configuration and fails when a route is in
neither CASES nor NOT_OBJECT_ROUTES, so a new endpoint cannot skip this file.
"""

import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from yunwei.accounts.models import ApiToken, LoginSession
from yunwei.accounts.services import issue_token
from yunwei.audit import services as audit
from yunwei.audit.models import AuditEvent
from yunwei.notify.models import Delivery
from yunwei.org import services
from yunwei.org.choices import Role
from yunwei.org.models import MaintenanceContract, Person, RoleAssignment

from .accounts import foreign as accounts_foreign
from .alerts import foreign as alerts_foreign
from .changes import foreign as changes_foreign
from .cmdb import foreign as cmdb_foreign
from .compliance import foreign as compliance_foreign
from .conftest import build_org_records, make_group, make_team_a, make_unit_a, make_unit_b, make_user
from .exports import foreign as exports_foreign
from .incidents import foreign as incidents_foreign
from .knowledge import foreign as knowledge_foreign
from .logbook import foreign as logbook_foreign
from .monitoring import foreign as monitoring_foreign
from .notify import foreign as notify_foreign
from .problems import foreign as problems_foreign
from .reports import foreign as reports_foreign
from .servicedesk import foreign as servicedesk_foreign
from .web import foreign as web_foreign

# Routes that name no unit's record, each with the reason.
NOT_OBJECT_ROUTES = {
    "web:healthz": "liveness probe, no data",
    "web:status-page": "a unit's public page by its code, no log-in by design, 404 while off; it shows only "
    "its unit's data (tests/web/test_status.py: test_one_units_status_page_never_shows_another_units_data)",
    "set_language": "language switch, no data",
    "accounts:login": "log-in page",
    "accounts:logout": "ends the caller's own session",
    "accounts:otp": "the caller's own second factor",
    "accounts:otp-setup": "the caller's own second factor",
    "accounts:password-change": "the caller's own password",
    "api:schema": "OpenAPI document",
    "api:docs": "API documentation page",
    "api:auth:token": "issues/revokes the caller's own token",
    "api:auth:me": "the caller's own access",
    "api:org:api-root": "index of links",
    "api:audit:api-root": "index of links",
    "org:unit-create": "a form; other units are not among its choices",
    "org:team-create": "a form; other units are not among its choices",
    "org:person-create": "a form; other units are not among its choices",
    "org:vendor-create": "a form; other units are not among its choices",
    "api:system:heartbeat": "group admins only: tested in tests/core (403 for others)",
}


def sealed_event(unit) -> AuditEvent:
    """The unit's first audit event, sealed as it is just after its commit."""
    audit.seal()
    return AuditEvent.objects.filter(unit_id=unit.pk).order_by("seq").first()


def _routes(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", list(entry.pattern.regex.groupindex)


@pytest.fixture(scope="module")
def world(module_db) -> dict:
    """Unit A with one record of every kind, created through the services, and unit B's admin and user:
    made once for the module (756 cases), each test in a savepoint of its own (`module_db`)."""
    group = make_group()
    unit_a, unit_b = make_unit_a(group), make_unit_b(group)
    group_admin = make_user("group-admin", group, Role.GROUP_ADMIN)
    org_records_a = build_org_records(unit_a, make_team_a(unit_a, actor=group_admin), actor=group_admin)
    person = org_records_a["person"]
    services.create_account(person, actor=group_admin, username="jia-user", password="a-long-password-77")
    _key, token = issue_token(person.account)
    records = {
        **org_records_a,
        **cmdb_foreign.build_records(unit_a, group_admin),
        **incidents_foreign.build_records(unit_a, group_admin),
        **notify_foreign.build_records(unit_a, group_admin),
        **problems_foreign.build_records(unit_a, group_admin),
        **changes_foreign.build_records(unit_a, group_admin),
        **monitoring_foreign.build_records(unit_a, group_admin),
        **alerts_foreign.build_records(unit_a, group_admin),
        **logbook_foreign.build_records(unit_a, group_admin),
        **compliance_foreign.build_records(unit_a, group_admin),
        **web_foreign.build_records(unit_a, group_admin),
        **exports_foreign.build_records(unit_a, group_admin),
        **servicedesk_foreign.build_records(unit_a, group_admin),
        **knowledge_foreign.build_records(unit_a, group_admin),
        **reports_foreign.build_records(unit_a, group_admin),
        **accounts_foreign.build_records(unit_a, group_admin),
        "token": token,
        # Sealed as just after the commits: pages and the API address an event by its number.
        "event": sealed_event(unit_a),
    }
    return {
        "records": records,
        "unit_b": unit_b,
        "unit_admin_b": make_user("b-admin", unit_b, Role.UNIT_ADMIN),
        "unit_user_b": make_user("b-user", unit_b, Role.USER),
    }


@pytest.fixture
def records(world, db) -> dict:
    return world["records"]


@pytest.fixture
def unit_b(world, db):
    return world["unit_b"]


@pytest.fixture
def unit_admin_b(world, db):
    return world["unit_admin_b"]


@pytest.fixture
def unit_user_b(world, db):
    return world["unit_user_b"]


# route → (kind, record key). API kinds: list | detail (GET, PATCH, PUT, DELETE) | detail-ro (GET, DELETE)
# | post. Page kinds: page-list (the record's name is nowhere on it) | page (GET and POST) | page-post |
# page-export (the list's .xlsx holds nothing of the record) | bulk (its number posted: "not found").
CASES = {
    "api:org:unit-list": ("list", "unit"),
    "api:org:unit-detail": ("detail", "unit"),
    "api:org:team-list": ("list", "team"),
    "api:org:team-detail": ("detail", "team"),
    "api:org:person-list": ("list", "person"),
    "api:org:person-detail": ("detail", "person"),
    "api:org:person-reveal": ("post", "person"),
    "api:org:person-account": ("post", "person"),
    "api:org:person-disable-account": ("post", "person"),
    "api:org:person-enable-account": ("post", "person"),
    "api:org:roleassignment-list": ("list", "role"),
    "api:org:roleassignment-detail": ("detail-ro", "role"),
    "api:org:vendor-list": ("list", "vendor"),
    "api:org:vendor-detail": ("detail", "vendor"),
    "api:org:vendorengineer-list": ("list", "engineer"),
    "api:org:vendorengineer-detail": ("detail", "engineer"),
    "api:org:vendorengineer-reveal": ("post", "engineer"),
    "api:org:maintenancecontract-list": ("list", "contract"),
    "api:org:maintenancecontract-detail": ("detail", "contract"),
    "api:auth:apitoken-list": ("list", "token"),
    "api:auth:apitoken-detail": ("detail-ro", "token"),
    "api:audit:event-list": ("list", "event"),
    "api:audit:event-detail": ("get", "event"),
    "api:audit:event-reveal": ("post", "event"),
    "web:dashboard": ("page-list", "unit"),
    "web:wall": ("page-list", "application"),
    "web:status-settings": ("page-list", "unit"),
    "web:status-toggle": ("page-post", "unit"),
    "org:unit-list": ("page-list", "unit"),
    "org:unit-detail": ("page", "unit"),
    "org:unit-edit": ("page", "unit"),
    "org:team-list": ("page-list", "team"),
    "org:team-detail": ("page", "team"),
    "org:team-edit": ("page", "team"),
    "org:team-delete": ("page-post", "team"),
    "org:person-list": ("page-list", "person"),
    "org:person-detail": ("page", "person"),
    "org:person-edit": ("page", "person"),
    "org:person-delete": ("page-post", "person"),
    "org:person-reveal": ("page-post", "person"),
    "org:person-assign-role": ("page-post", "person"),
    "org:person-account": ("page-post", "person"),
    "org:person-account-active": ("page-post", "person"),
    "org:role-revoke": ("page-post", "role"),
    "org:vendor-list": ("page-list", "vendor"),
    "org:vendor-detail": ("page", "vendor"),
    "org:vendor-edit": ("page", "vendor"),
    "org:vendor-delete": ("page-post", "vendor"),
    "org:engineer-create": ("page", "vendor"),
    "org:engineer-edit": ("page", "engineer"),
    "org:engineer-delete": ("page-post", "engineer"),
    "org:engineer-reveal": ("page-post", "engineer"),
    "org:contract-create": ("page", "vendor"),
    "org:contract-edit": ("page", "contract"),
    "org:contract-delete": ("page-post", "contract"),
    "audit:event-list": ("page-list", "event"),
    "audit:event-detail": ("get", "event"),
    "audit:event-reveal": ("page-post", "event"),
    "audit:verify": ("page-post", "event"),
}


FOREIGN_MODULES = (
    cmdb_foreign,
    incidents_foreign,
    notify_foreign,
    problems_foreign,
    changes_foreign,
    monitoring_foreign,
    alerts_foreign,
    logbook_foreign,
    compliance_foreign,
    web_foreign,
    exports_foreign,
    servicedesk_foreign,
    knowledge_foreign,
    accounts_foreign,
    reports_foreign,
)
for module in FOREIGN_MODULES:
    CASES.update(module.CASES)
    NOT_OBJECT_ROUTES.update(module.NOT_OBJECT_ROUTES)


def test_every_route_has_a_foreign_unit_case():
    missing = sorted(
        {name for name, _kwargs in _routes() if name not in CASES and name not in NOT_OBJECT_ROUTES}
    )
    assert missing == [], f"routes without a foreign-unit case in {__file__}: {missing}"


def _url(route: str, record) -> str:
    kwargs = {name: getattr(record, name, record.pk) for name in dict(_routes())[route] if name != "format"}
    return reverse(route, kwargs=kwargs)


def _listed(payload, record) -> tuple[set, object]:
    """The keys of the listed rows and the record's own: audit events are addressed by their number."""
    field = "seq" if isinstance(record, AuditEvent) else "id"
    return {row[field] for row in payload["results"]}, getattr(record, field)


def _footprint(record) -> dict:
    """What a refused request could have changed: the record's row; the audit log, where every act
    leaves an event (a reveal, a disabled account, a transition); the deliveries a test or a retry
    sends; for a person, their account with its sessions and usable tokens."""
    row = type(record).objects.filter(pk=record.pk).values().first()
    account_id = row.get("account_id") if isinstance(record, Person) else None
    return {
        "row": row,
        "audit": list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True)),
        "deliveries": list(Delivery.objects.order_by("pk").values_list("pk", "state", "attempts")),
        "account": (
            get_user_model().objects.filter(pk=account_id).values("is_active", "password").first(),
            list(ApiToken.objects.filter(user_id=account_id).values_list("pk", "revoked_at")),
            list(LoginSession.objects.filter(user_id=account_id).values_list("session_key", flat=True)),
        ),
    }


DETAIL_PAGES = {
    "unit": "org:unit-detail",
    "team": "org:team-detail",
    "person": "org:person-detail",
    "vendor": "org:vendor-detail",
    "event": "audit:event-detail",
}
for module in FOREIGN_MODULES:
    DETAIL_PAGES.update(module.DETAIL_PAGES)


def _label(record) -> str:
    return (
        getattr(record, "name", None) or getattr(record, "code", None) or getattr(record, "object_repr", "")
    )


@pytest.mark.parametrize("persona", ["unit_admin_b", "unit_user_b"])
@pytest.mark.parametrize("route", sorted(CASES))
def test_foreign_unit_persona_reaches_nothing(route, persona, records, request, api_client_for, client):
    kind, key = CASES[route]
    record = records[key]
    outsider = request.getfixturevalue(persona)
    if route.startswith("api:"):
        http = api_client_for(outsider)
    else:
        client.force_login(outsider)
        http = client
    if kind == "list":
        url = reverse(route)
        for query in ({}, {"search": _label(record)}, {"unit": records["unit"].pk}, {"ordering": "-id"}):
            response = http.get(url, query)
            assert response.status_code in (200, 400), query
            if response.status_code == 200:
                listed, key = _listed(response.json(), record)
                assert key not in listed, query
        return
    if kind == "page-list":
        url = reverse(route) if not dict(_routes())[route] else _url(route, record)
        response = http.get(url)
        assert response.status_code in (200, 404)
        assert _label(record) not in response.content.decode()
        searched = http.get(url, {"q": _label(record)})
        assert searched.status_code in (200, 404)
        assert _url(DETAIL_PAGES[key], record) not in searched.content.decode()
        return
    if kind == "page-export":
        for query in ({}, {"q": _label(record)}, {"unit": records["unit"].pk}):
            response = http.get(reverse(route), query)
            assert response.status_code in (200, 400, 404), query
            if response.status_code == 200:
                sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
                cells = {str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None}
                assert _label(record) not in cells and getattr(record, "code", None) not in cells, query
        return
    if kind == "bulk":
        before = _footprint(record)
        for data in ({"action": "comment", "comment": "越权"}, {"action": "assign", "assignee": "me"}):
            response = http.post(reverse(route), {**data, "ids": [record.pk]})
            assert response.status_code in (200, 400, 404)
            assert _label(record) not in response.content.decode()
        response = http.post(reverse(route), {"action": "export", "ids": [record.pk]})
        if response.status_code == 200:
            sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
            assert sheet.max_row == 1  # the header only
        assert _footprint(record) == before
        return
    url = _url(route, record)
    methods = {
        "detail": ["get", "patch", "put", "delete"],
        "detail-ro": ["get", "delete"],
        "get": ["get"],
        "post": ["post"],
        "page": ["get", "post"],
        "page-post": ["post"],
    }[kind]
    before = _footprint(record)
    for method in methods:
        if route.startswith("api:"):
            response = getattr(http, method)(url, {}, format="json")
        else:
            response = getattr(http, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
    # Nothing was changed on the way.
    assert _footprint(record) == before


@pytest.mark.django_db
def test_foreign_unit_record_named_in_a_write_is_refused_as_missing(records, unit_b, api_client_for):
    admin_b = make_user("b-admin-2", unit_b, "unit_admin")
    http = api_client_for(admin_b)
    response = http.post("/api/org/people/", {"unit": records["unit"].pk, "name": "越权"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "unit"
    response = http.post(
        "/api/org/people/", {"unit": unit_b.pk, "name": "越权", "team": records["team"].pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "team"
    assert str(records["team"].pk) in response.json()["detail"]
    assert not Person.objects.filter(name="越权").exists()


@pytest.mark.django_db
def test_foreign_vendor_or_engineer_named_in_a_contract_is_refused_as_missing(
    records, unit_b, api_client_for
):
    admin_b = make_user("b-admin-2", unit_b, "unit_admin")
    http = api_client_for(admin_b)
    vendor_b = http.post(
        "/api/org/vendors/", {"unit": unit_b.pk, "code": "yi", "name": "乙厂家"}, format="json"
    )
    assert vendor_b.status_code == 201
    contract = {
        "unit": unit_b.pk,
        "number": "B-001",
        "title": "越权合同",
        "starts_on": "2025-01-01",
        "ends_on": "2025-12-31",
    }
    foreign_vendor = http.post(
        "/api/org/contracts/", {**contract, "vendor": records["vendor"].pk}, format="json"
    )
    assert foreign_vendor.status_code == 400
    assert foreign_vendor.json()["field"] == "vendor"
    foreign_engineer = http.post(
        "/api/org/contracts/",
        {**contract, "vendor": vendor_b.json()["id"], "engineer": records["engineer"].pk},
        format="json",
    )
    assert foreign_engineer.status_code == 400
    assert foreign_engineer.json()["field"] == "engineer"
    assert not MaintenanceContract.objects.filter(title="越权合同").exists()


@pytest.mark.django_db
def test_foreign_person_named_in_a_role_assignment_is_refused_as_missing(records, unit_b, api_client_for):
    admin_b = make_user("b-admin-2", unit_b, "unit_admin")
    person = records["person"]
    before = RoleAssignment.objects.filter(person=person).count()
    response = api_client_for(admin_b).post(
        "/api/org/roles/", {"person": person.pk, "unit": unit_b.pk, "role": "user"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "person"
    response = api_client_for(admin_b).post(
        "/api/org/roles/", {"person": person.pk, "role": "user"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "person"
    assert RoleAssignment.objects.filter(person=person).count() == before
