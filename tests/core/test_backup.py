"""`yunwei backup` and `yunwei restore`: a restored archive serves, and bad input is refused naming what."""

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from yunwei.audit import anchors

from ..conftest import PASSWORD
from ..product import YUNWEI, serving

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

POSTGRES = os.environ.get("YUNWEI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _environment(var_dir: Path, database_url: str | None = None) -> dict:
    env = {**os.environ, "YUNWEI_VAR_DIR": str(var_dir), "YUNWEI_TASKS_EAGER": "true"}
    for name in ("YUNWEI_DATABASE_URL", "DJANGO_SETTINGS_MODULE", "YUNWEI_AUDIT_ANCHOR_FILE"):
        env.pop(name, None)
    if database_url:
        env["YUNWEI_DATABASE_URL"] = database_url
    return env


def _yunwei(env: dict, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([YUNWEI, *argv], env=env, capture_output=True, text=True)  # noqa: S603
    if check and done.returncode != 0:
        raise AssertionError(f"yunwei {' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done


@contextlib.contextmanager
def _empty_postgres(server: str, label: str):
    """A new empty PostgreSQL database of a unique name, dropped at the end; yields its URL."""
    name = f"yunwei_backup_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_server() -> str:
    """The server of the suite's own database when it runs on PostgreSQL, else the local one."""
    url = os.environ.get("YUNWEI_DATABASE_URL", "")
    return url.rsplit("/", 1)[0] + "/postgres" if url.startswith("postgres") else POSTGRES


@contextlib.contextmanager
def _empty_target(label: str):
    """An empty database of the suite's vendor: SQLite under the restored var/, or a new PostgreSQL one."""
    if connection.vendor == "sqlite":
        yield None
    else:
        with _empty_postgres(_postgres_server(), label) as url:
            yield url


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as db:
        tables = [row[0] for row in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {table: db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in tables}  # noqa: S608


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.load(tar.extractfile("manifest.json"))


@pytest.fixture
def source_var(settings, tmp_path) -> Path:
    """The backed-up product's var/: an uploaded file, an export and the audit heads written outside."""
    var = tmp_path / "source-var"
    settings.VAR_DIR = var
    settings.MEDIA_ROOT = var / "media"
    settings.AUDIT_ANCHOR_FILE = var / "audit" / "anchors.jsonl"
    (var / "media" / "logbook").mkdir(parents=True)
    (var / "media" / "logbook" / "evidence.txt").write_text("机房巡检照片\n", encoding="utf-8")
    (var / "exports").mkdir()
    (var / "exports" / "items.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (var / "static").mkdir()
    (var / "static" / "app.css").write_text("rebuilt by collectstatic")
    return var


def _backed_up(tmp_path: Path) -> Path:
    anchors.write_anchor()
    archive = tmp_path / "yunwei-backup.tar.gz"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    return archive


@pytest.mark.e2e
def test_an_archive_restored_into_an_empty_database_serves_the_records(
    settings, tmp_path, source_var, org_records_a, unit_user_a
):
    # The restored product hashes with its own (real) hasher: the account's password must be one it reads.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    unit_user_a.set_password(PASSWORD)
    unit_user_a.save()
    archive = _backed_up(tmp_path)

    manifest = _manifest(archive)
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["tables"]["org_vendor"] == 1
    assert manifest["audit_head"]["seq"] >= 1
    assert {"var/media/logbook/evidence.txt", "var/exports/items.xlsx", "audit/anchors.jsonl"} <= set(
        manifest["members"]
    )
    assert not [name for name in manifest["members"] if name.startswith("var/static/")]

    restored = tmp_path / "restored-var"
    with _empty_target("served") as url:
        env = _environment(restored, url)
        started = time.monotonic()
        done = _yunwei(env, "restore", str(archive))
        print(f"restore took {time.monotonic() - started:.1f} s: {done.stdout.strip()}")
        assert "restored and verified" in done.stdout
        assert "audit chain intact" in done.stdout
        assert (restored / "media" / "logbook" / "evidence.txt").read_text(
            encoding="utf-8"
        ) == "机房巡检照片\n"
        assert (restored / "audit" / "anchors.jsonl").read_bytes() == settings.AUDIT_ANCHOR_FILE.read_bytes()
        assert _yunwei(env, "audit", "verify").returncode == 0

        with serving(restored, env) as base:
            request = urllib.request.Request(  # noqa: S310 - loopback
                f"{base}/api/auth/token/",
                data=json.dumps({"username": "a-user", "password": PASSWORD}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                token = json.load(response)["token"]
            request = urllib.request.Request(  # noqa: S310
                f"{base}/api/org/vendors/", headers={"Authorization": f"Token {token}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                vendors = json.load(response)
    names = [vendor["name"] for vendor in vendors.get("results", vendors)]
    assert names == ["甲厂家"]


def _rewritten(archive: Path, target: Path, change: dict[str, bytes]) -> Path:
    """A copy of `archive` with some members' contents replaced and the manifest left as it was."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as copy:
        for member in source.getmembers():
            data = change.get(member.name, source.extractfile(member).read())
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return target


def test_a_member_whose_hash_differs_is_refused_naming_it_before_anything_is_touched(
    settings, tmp_path, source_var, org_records_a
):
    archive = _backed_up(tmp_path)
    damaged = _rewritten(
        archive, tmp_path / "damaged.tar.gz", {"var/media/logbook/evidence.txt": b"forged\n"}
    )
    settings.VAR_DIR = tmp_path / "empty-var"

    with pytest.raises(CommandError, match=r"member var/media/logbook/evidence\.txt: SHA-256 \w+ differs"):
        call_command("restore", str(damaged))
    assert not (tmp_path / "empty-var").exists()  # checked before the target was looked at

    with pytest.raises(CommandError, match=r"missing\.tar\.gz: no such archive"):
        call_command("restore", str(tmp_path / "missing.tar.gz"))
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(archive.read_bytes()[:200])
    with pytest.raises(CommandError, match=r"garbage\.tar\.gz: not a readable \.tar\.gz archive"):
        call_command("restore", str(garbage))
    no_manifest = tmp_path / "no-manifest.tar.gz"
    with tarfile.open(no_manifest, "w:gz") as tar:
        tar.add(source_var / "exports" / "items.xlsx", arcname="var/exports/items.xlsx")
    with pytest.raises(CommandError, match=r"no manifest\.json in the archive"):
        call_command("restore", str(no_manifest))
    escaping = tmp_path / "escaping.tar.gz"
    manifest = {"format": 1, "database": {}, "tables": {}, "audit_head": {}, "members": {"var/../../x": {}}}
    with tarfile.open(escaping, "w:gz") as tar:
        for name, data in (("manifest.json", json.dumps(manifest).encode()), ("var/../../x", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(CommandError, match=r"member var/\.\./\.\./x lies outside"):
        call_command("restore", str(escaping))
    assert not (tmp_path / "x").exists()


def test_a_database_that_holds_tables_is_refused_naming_it(settings, tmp_path, source_var, org_records_a):
    archive = _backed_up(tmp_path)
    settings.VAR_DIR = tmp_path / "empty-var"
    settings.AUDIT_ANCHOR_FILE = tmp_path / "empty-var" / "audit" / "anchors.jsonl"
    name = connection.settings_dict["NAME"]
    before = _manifest(archive)["tables"]["org_vendor"]

    with pytest.raises(
        CommandError, match=rf"target database {re.escape(name)} is not empty \(it holds \d+ tables"
    ):
        call_command("restore", str(archive))
    assert not (tmp_path / "empty-var").exists()
    from yunwei.org.models import Vendor

    assert Vendor.objects.count() == before


def test_a_file_already_in_place_is_refused_naming_it(settings, tmp_path, source_var, org_records_a):
    archive = _backed_up(tmp_path)
    target = tmp_path / "target-var"
    (target / "media" / "logbook").mkdir(parents=True)
    (target / "media" / "logbook" / "evidence.txt").write_text("another photo")
    settings.VAR_DIR = target
    settings.AUDIT_ANCHOR_FILE = target / "audit" / "anchors.jsonl"

    with pytest.raises(
        CommandError, match=rf"target file {re.escape(str(target))}/media/logbook/evidence\.txt already"
    ):
        call_command("restore", str(archive))
    assert (target / "media" / "logbook" / "evidence.txt").read_text() == "another photo"
    assert not (target / "exports").exists()

    (target / "media" / "logbook" / "evidence.txt").unlink()
    settings.AUDIT_ANCHOR_FILE.parent.mkdir()
    settings.AUDIT_ANCHOR_FILE.write_text('{"seq": 1}\n')
    with pytest.raises(CommandError, match=r"target audit anchor file .*anchors\.jsonl already exists"):
        call_command("restore", str(archive))


@pytest.mark.skipif(
    not (shutil.which("pg_dump") and shutil.which("pg_restore")), reason="no pg_dump/pg_restore"
)
def test_postgresql_is_dumped_and_restored_into_another_empty_database_with_equal_counts(tmp_path):
    server = _postgres_server()
    try:
        psycopg.connect(server, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL at {server}: {error}")
    archive = tmp_path / "pg.tar.gz"
    with _empty_postgres(server, "src") as source, _empty_postgres(server, "dst") as target:
        env = _environment(tmp_path / "source-var", source)
        _yunwei(env, "migrate")
        _yunwei({**env, "YUNWEI_ADMIN_PASSWORD": PASSWORD}, "createadmin", "boss")
        _yunwei(env, "audit", "anchor")
        _yunwei(env, "backup", "-o", str(archive))
        manifest = _manifest(archive)
        assert manifest["database"] == {"vendor": "postgresql", "member": "database/yunwei.pgdump"}
        assert manifest["tables"] == _counts(source)
        assert manifest["audit_head"]["seq"] >= 1

        target_env = _environment(tmp_path / "target-var", target)
        started = time.monotonic()
        done = _yunwei(target_env, "restore", str(archive))
        print(f"restore took {time.monotonic() - started:.1f} s: {done.stdout.strip()}")
        assert "restored and verified" in done.stdout
        restored = _counts(target)
        # The restore's own verification is recorded as one chain check; every other table is as dumped.
        assert restored.pop("audit_chaincheck") == manifest["tables"].pop("audit_chaincheck") + 1
        assert restored == manifest["tables"]
        assert restored["audit_auditevent"] >= 1

        again = _yunwei(_environment(tmp_path / "other-var", target), "restore", str(archive), check=False)
        assert again.returncode == 1
        assert f"target database {target.rsplit('/', 1)[1]} is not empty" in again.stderr
