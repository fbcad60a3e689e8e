"""Every route has a foreign-unit case: a unit admin of unit B reaches nothing of unit A.

`test_every_route_has_a_foreign_unit_case` walks the URL configuration and fails when a route is in
neither CASES nor NOT_OBJECT_ROUTES, so a new endpoint cannot skip this file.
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from yunwei.accounts.services import issue_token
from yunwei.audit.models import AuditEvent
from yunwei.org import services
from yunwei.org.models import MaintenanceContract, Person, Team, Vendor, VendorEngineer

from .conftest import make_user

# Routes that name no unit's record, each with the reason.
NOT_OBJECT_ROUTES = {
    "web:healthz": "liveness probe, no data",
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
    "api:system:heartbeat": "group admins only: tested in tests/core (403 for others)",
}


def _routes(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", list(entry.pattern.regex.groupindex)


@pytest.fixture
def records(unit_a, group_admin):
    """One record of every kind in unit A, created through the services."""
    team = services.create(Team, actor=group_admin, unit=unit_a, code="secret-team", name="甲运维班")
    person = services.create(Person, actor=group_admin, unit=unit_a, name="甲某某", phone="13900000001",
                             email="jia@example.cn")
    services.create_account(person, actor=group_admin, username="jia-user", password="a-long-password-77")
    role = services.assign_role(person, "clerk", actor=group_admin)
    vendor = services.create(Vendor, actor=group_admin, unit=unit_a, code="secret-vendor", name="甲厂家")
    engineer = services.create(VendorEngineer, actor=group_admin, vendor=vendor, name="甲工程师", phone="13900000002")
    today = timezone.localdate()
    contract = services.create(
        MaintenanceContract, actor=group_admin, unit=unit_a, vendor=vendor, number="A-001", title="甲合同",
        engineer=engineer, starts_on=today, ends_on=today + datetime.timedelta(days=30),
    )
    _key, token = issue_token(person.account)
    return {
        "unit": unit_a, "team": team, "person": person, "role": role, "vendor": vendor, "engineer": engineer,
        "contract": contract, "token": token,
        "event": AuditEvent.objects.filter(unit_id=unit_a.pk).order_by("seq").first(),
    }


# route → (kind, record key). kind: list | detail (GET, PATCH, PUT, DELETE) | get | post.
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
    "api:org:roleassignment-detail": ("detail", "role"),
    "api:org:vendor-list": ("list", "vendor"),
    "api:org:vendor-detail": ("detail", "vendor"),
    "api:org:vendorengineer-list": ("list", "engineer"),
    "api:org:vendorengineer-detail": ("detail", "engineer"),
    "api:org:vendorengineer-reveal": ("post", "engineer"),
    "api:org:maintenancecontract-list": ("list", "contract"),
    "api:org:maintenancecontract-detail": ("detail", "contract"),
    "api:auth:apitoken-list": ("list", "token"),
    "api:auth:apitoken-detail": ("detail", "token"),
    "api:audit:auditevent-list": ("list", "event"),
    "api:audit:auditevent-detail": ("detail", "event"),
}


def test_every_route_has_a_foreign_unit_case():
    missing = [
        name for name, _kwargs in _routes() if name not in CASES and name not in NOT_OBJECT_ROUTES
    ]
    assert missing == [], f"routes without a foreign-unit case in {__file__}: {missing}"


def _url(route: str, record) -> str:
    kwargs = dict.fromkeys(dict(_routes())[route], record.pk if hasattr(record, "pk") else record.seq)
    kwargs.pop("format", None)
    if "seq" in kwargs:
        kwargs["seq"] = record.seq
    return reverse(route, kwargs=kwargs)


def _ids(payload) -> set:
    return {row.get("id", row.get("seq")) for row in payload["results"]}


@pytest.mark.parametrize("route", sorted(CASES))
def test_foreign_unit_admin_reaches_nothing(route, records, unit_admin_b, api_client_for, client):
    kind, key = CASES[route]
    record = records[key]
    record_id = getattr(record, "pk", None)
    is_api = route.startswith("api:")
    if is_api:
        http = api_client_for(unit_admin_b)
    else:
        client.force_login(unit_admin_b)
        http = client
    if kind == "list":
        url = reverse(route)
        response = http.get(url)
        assert response.status_code == 200
        assert record_id not in _ids(response.json())
        name = getattr(record, "name", None) or getattr(record, "code", None) or str(record)
        for query in ({"search": name}, {"unit": records["unit"].pk}, {"ordering": "-id"}):
            filtered = http.get(url, query)
            assert filtered.status_code in (200, 400)
            if filtered.status_code == 200:
                assert record_id not in _ids(filtered.json())
        return
    url = _url(route, record)
    methods = {"detail": ["get", "patch", "put", "delete"], "get": ["get"], "post": ["post"]}[kind]
    for method in methods:
        response = getattr(http, method)(url, {}, format="json") if is_api else getattr(http, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
    # Nothing was changed on the way.
    type(record).objects.get(pk=record.pk)


@pytest.mark.django_db
def test_foreign_unit_record_named_in_a_write_is_refused_as_missing(records, unit_b, api_client_for):
    admin_b = make_user("b-admin-2", unit_b, "unit_admin")
    http = api_client_for(admin_b)
    response = http.post("/api/org/people/", {"unit": records["unit"].pk, "name": "越权"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "unit"
    response = http.post("/api/org/people/", {"unit": unit_b.pk, "name": "越权", "team": records["team"].pk},
                         format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "team"
    assert "does not exist" in response.json()["detail"]
    assert not Person.objects.filter(name="越权").exists()
