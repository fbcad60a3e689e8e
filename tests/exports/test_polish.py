"""Polish seen on the way (issue 25): navigation shows only links the role can open; the favicon
answers; the audit log names people and units; the Art. 10 card speaks of the units the viewer sees."""

import re

import pytest

from yunwei.audit import services as audit
from yunwei.audit.models import AuditEvent
from yunwei.incidents import services as incidents
from yunwei.org.choices import Role

from ..conftest import make_user

pytestmark = pytest.mark.django_db


def nav_links(content: str) -> list[str]:
    nav = content[content.index('id="yw-nav"') : content.index("</nav>")]
    return re.findall(r'<a class="nav-link[^"]*" href="([^"]+)"', nav)


@pytest.mark.parametrize(
    ("persona", "roles"),
    [
        ("group-admin-x", (Role.GROUP_ADMIN,)),
        ("unit-admin-x", (Role.UNIT_ADMIN,)),
        ("tech-x", (Role.TECH_STAFF,)),
        ("leader-x", (Role.LEADER,)),
        ("clerk-x", (Role.CLERK,)),
        ("user-x", (Role.USER,)),
    ],
)
def test_every_navigation_link_opens_for_the_role_that_sees_it(client, unit_a, group, persona, roles):
    unit = group if Role.GROUP_ADMIN in roles else unit_a
    client.force_login(make_user(persona, unit, *roles))
    links = nav_links(client.get("/").content.decode())
    assert "/incidents/" in links
    for link in links:
        assert client.get(link).status_code == 200, link
    assert ("/audit/" in links) == (Role.GROUP_ADMIN in roles)


def test_the_favicon_answers(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")


def test_the_audit_log_shows_names_where_it_kept_numbers(client, group_admin, tech_a, incidents_ab):
    incidents.add_comment(incidents_ab["a"][0], actor=tech_a, text="看过")
    audit.seal()  # as just after the commit: the page links events by number
    client.force_login(group_admin)
    page = client.get("/audit/", {"search": "看过"}).content.decode()
    assert "甲技术员 (a-tech)" in page and "甲单位" in page
    event = AuditEvent.objects.get(comment="看过")
    detail = client.get(f"/audit/{event.seq}/").content.decode()
    assert "甲技术员 (a-tech)" in detail and "甲单位" in detail and "Unit ID" not in detail


def test_the_art_10_card_speaks_of_the_units_the_viewer_sees(client, group_admin, unit_a):
    for role in (Role.LEADER, Role.UNIT_ADMIN, Role.CLERK):
        make_user(f"a-{role}", unit_a, role)
    client.force_login(make_user("a-admin-x", unit_a, Role.UNIT_ADMIN))
    assert (
        "Every unit you can see has its leader, system admin and clerk." in client.get("/").content.decode()
    )
