"""The content security policy: on every page, with no inline script allowed, and no template that
would need one (no <script> without src, no on*= handler attribute)."""

import re
from pathlib import Path

import pytest

import yunwei
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TEMPLATES = sorted(Path(yunwei.__file__).parent.glob("*/templates/**/*.html"))
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[a-zA-Z][^>]*?\s(on[a-z]+)\s*=", re.IGNORECASE | re.DOTALL)


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _assert_policy(response):
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = _directives(header)
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts == ["'self'"], header
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_the_templates_were_found():
    assert len(TEMPLATES) > 50
    assert any(path.name == "base.html" for path in TEMPLATES)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(Path(yunwei.__file__).parent)))
def test_no_template_holds_inline_script_or_handlers(path):
    text = path.read_text(encoding="utf-8")
    inline = [tag for tag in SCRIPT_TAG.findall(text) if not re.search(r"\ssrc\s*=", tag)]
    # json_script's output is data (type="application/json"), written by the tag, not the template.
    assert not inline, f"{path}: inline <script> {inline}"
    handlers = HANDLER.findall(text)
    assert not handlers, f"{path}: event handler attributes {handlers}"


def test_the_scan_finds_what_it_is_meant_to_find():
    assert HANDLER.findall('<input type="text"\n   onclick="this.select()">') == ["onclick"]
    assert not HANDLER.findall('<input data-select-on-click value="x">')
    assert [t for t in SCRIPT_TAG.findall("<script>alert(1)</script>") if "src" not in t]


def test_the_policy_is_on_pages_for_everyone(client, unit_user_a, group_admin):
    _assert_policy(client.get("/accounts/login/"))
    assert client.post("/accounts/login/", {"username": "a-user", "password": PASSWORD}).status_code == 302
    for path in ("/", "/incidents/", "/cmdb/", "/api/docs/"):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_policy(response)
    # The API documentation's start-up code comes as a file of its own, not inline.
    docs = client.get("/api/docs/").content.decode()
    assert not [tag for tag in SCRIPT_TAG.findall(docs) if "src=" not in tag]
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_the_policy_is_on_api_answers_and_errors(client, unit_user_a):
    client.post("/accounts/login/", {"username": "a-user", "password": PASSWORD})
    _assert_policy(client.get("/api/auth/me/"))
    _assert_policy(client.get("/cmdb/999999999/"))
