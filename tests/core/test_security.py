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


# -- upload limits (yunwei.core.uploads), checked before a file is read ----------------------------


def _zip_bomb(unpacked: int, members: int = 1) -> bytes:
    """A real zip bomb: members of zero bytes, deflated a thousandfold; nothing here unpacks it."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        for n in range(members):
            with archive.open(f"xl/worksheets/sheet{n + 1}.xml", "w", force_zip64=True) as member:
                chunk = b"\0" * (1024 * 1024)
                left = unpacked // members
                while left > 0:
                    member.write(chunk[:left])
                    left -= len(chunk)
    return buffer.getvalue()


class _Unreadable:
    """An upload that knows its name and size but must not be read (the check comes first)."""

    def __init__(self, name: str, size: int):
        self.name, self.size = name, size

    def read(self, *args):
        raise AssertionError("the upload was read before its limits were checked")

    chunks = read


def test_an_over_large_file_is_refused_before_it_is_read():
    from yunwei.core import uploads
    from yunwei.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        uploads.check_file(_Unreadable("a.pdf", 6 * 1024 * 1024), field="file", max_bytes=5 * 1024 * 1024)
    assert refused.value.field == "file" and "5 MB" in refused.value.message
    with pytest.raises(DomainError) as wrong_type:
        uploads.check_file(_Unreadable("a.exe", 10), field="evidence", max_bytes=100, types=["pdf", "png"])
    assert wrong_type.value.field == "evidence" and "exe" in wrong_type.value.message
    assert uploads.check_file(_Unreadable("A.PDF", 10), field="file", max_bytes=100, types=["pdf"]) == "pdf"


def test_an_xlsx_zip_bomb_is_refused_from_its_directory(settings):
    from yunwei.core import uploads
    from yunwei.core.errors import DomainError

    settings.UPLOAD_XLSX_MAX_UNPACKED_BYTES = 50 * 1024 * 1024
    bomb = _zip_bomb(60 * 1024 * 1024)
    assert len(bomb) < 200 * 1024  # small on the wire
    with pytest.raises(DomainError) as refused:
        uploads.check_xlsx(bomb, field="file", label="文件")
    assert refused.value.field == "file"
    assert refused.value.message.startswith("文件") and "50 MB" in refused.value.message
    # Under the limit the same shape passes.
    uploads.check_xlsx(_zip_bomb(1024 * 1024), field="file")


def test_an_xlsx_of_too_many_members_is_refused(settings):
    from yunwei.core import uploads
    from yunwei.core.errors import DomainError

    settings.UPLOAD_XLSX_MAX_MEMBERS = 20
    with pytest.raises(DomainError) as refused:
        uploads.check_xlsx(_zip_bomb(0, members=25), field="file")
    assert refused.value.field == "file" and "26" in refused.value.message  # 25 sheets and the types part
    with pytest.raises(DomainError) as garbage:
        uploads.check_xlsx(b"PK\x03\x04 not a zip", field="file")
    assert garbage.value.field == "file"


def test_the_inventory_import_page_refuses_a_bomb_of_many_members(client, group_admin, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from yunwei.cmdb.models import Item

    settings.UPLOAD_XLSX_MAX_MEMBERS = 10
    client.force_login(group_admin)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    upload = SimpleUploadedFile("items.xlsx", _zip_bomb(0, members=12))
    page = client.post("/cmdb/import/", {"file": upload, "mode": "import"})
    assert page.status_code == 200
    refused = page.context["refused"]
    assert refused.startswith("Excel (.xlsx) or CSV file:") and "parts" in refused
    assert not Item.objects.exists()


def test_a_log_book_attachment_of_a_refused_type_names_the_field(api_client_for, unit_a, settings):
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from tests.conftest import make_user
    from yunwei.logbook import services as logbook
    from yunwei.logbook.models import Attachment
    from yunwei.org.choices import Role

    tech = make_user("a-tech", unit_a, Role.TECH_STAFF)
    when = timezone.now() - datetime.timedelta(hours=1)
    note = logbook.record_note(actor=tech, unit=unit_a, occurred_at=when, kind="routine", text="x")
    api = api_client_for(tech)
    exe = api.post(
        "/api/logbook/attachments/",
        {"entry_type": "note", "entry_id": note.pk, "file": SimpleUploadedFile("tool.exe", b"MZ")},
        format="multipart",
    )
    assert exe.status_code == 400 and exe.json()["field"] == "file"
    settings.LOGBOOK_ATTACHMENT_LIMIT = 10
    big = api.post(
        "/api/logbook/attachments/",
        {"entry_type": "note", "entry_id": note.pk, "file": SimpleUploadedFile("ups.txt", b"x" * 11)},
        format="multipart",
    )
    assert big.status_code == 400 and big.json()["field"] == "file"
    assert not Attachment.objects.exists()


# -- secrets are write-only in the API and its schema ----------------------------------------------

SECRET = "s3cret-Probe-Pa55"


def test_check_credentials_are_never_read_back(unit_a, group_admin, api_client_for):
    from tests.conftest import make_item
    from yunwei.monitoring.models import Check

    item = make_item(unit_a, "application", "OA-DB", actor=group_admin, name="甲数据库")
    http = api_client_for(group_admin)
    spec = {"host": "127.0.0.1", "port": 5432, "user": "monitor", "password": SECRET, "timeout": 1}
    created = http.post(
        "/api/monitoring/checks/",
        {"item": item.pk, "name": "库", "kind": "postgresql", "spec": spec},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert SECRET not in created.content.decode()
    assert "password" not in body["spec"] and body["spec_secrets"] == ["password"]
    assert body["spec"]["user"] == "monitor"
    url = f"/api/monitoring/checks/{body['id']}/"
    for answer in (http.get(url), http.get("/api/monitoring/checks/")):
        assert answer.status_code == 200 and SECRET not in answer.content.decode()
    # A client that writes back what it read keeps the stored password; "" clears it.
    read = http.get(url).json()
    changed = {**read["spec"], "timeout": 2}
    updated = http.patch(url, {"spec": changed, "version": read["version"]}, format="json")
    assert updated.status_code == 200, updated.json()
    stored = Check.objects.get(pk=body["id"]).spec
    assert stored["password"] == SECRET and stored["timeout"] == 2
    blank = {"spec": {**changed, "password": ""}, "version": read["version"] + 1}
    cleared = http.patch(url, blank, format="json")
    assert cleared.status_code == 200 and cleared.json()["spec_secrets"] == []


def test_integration_secrets_are_write_only(unit_a, group_admin, api_client_for):
    http = api_client_for(group_admin)
    created = http.post(
        "/api/alerts/integrations/",
        {"unit": unit_a.pk, "name": "Prometheus", "kind": "alertmanager", "hmac_secret": SECRET},
        format="json",
    )
    assert created.status_code == 201, created.json()
    token = created.json()["token"]  # answered once, on create
    assert SECRET not in created.content.decode()
    read = http.get(f"/api/alerts/integrations/{created.json()['id']}/")
    assert read.status_code == 200 and read.json()["has_secret"] is True
    text = read.content.decode() + http.get("/api/alerts/integrations/").content.decode()
    assert SECRET not in text and token not in text


def test_the_schema_marks_secrets_write_only(group_admin, api_client_for):
    schema = api_client_for(group_admin).get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    integration = components["Integration"]["properties"]
    assert "hmac_secret" not in integration and "token" not in integration  # the answer's shape
    assert "hmac_secret" in components["IntegrationRequest"]["properties"]
    check = components["Check"]["properties"]
    assert check["spec_secrets"]["readOnly"] is True and "write-only" in check["spec"]["description"]
    assert "spec_secrets" not in components["CheckRequest"]["properties"]
    # No answer of any operation carries a password property.
    for name, component in components.items():
        if name.endswith("Request"):
            continue
        assert "password" not in component.get("properties", {}), name
