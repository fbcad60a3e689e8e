"""Yunwei's own backup (`yunwei backup`, `yunwei restore`): the database and var/ in one archive.

The archive is a .tar.gz holding `manifest.json`, the database dump and the files of var/ that are not
rebuilt (uploads, exports, the audit heads written outside the database). The dump is the vendor's own:
SQLite's online backup API (a consistent copy while the product runs) or `pg_dump --format=custom`
inside an exported snapshot, so the row counts written to the manifest are those of the dump itself.
A home-made JSON dump would lose the audit chain's triggers and the sequences.

Restore checks every member's SHA-256 against the manifest and that the target is empty before it
touches anything; it then puts the database in place in one step (an atomic rename on SQLite, one
transaction of pg_restore on PostgreSQL), copies the files, and verifies: every table's row count
equals the manifest's, the audit head is the one at dump time, and the audit chain verifies against
the heads written outside. Every refusal and mismatch raises BackupError naming the member, table or file.

Messages are plain English on purpose, as `yunwei audit verify`'s: cron jobs and monitors match them.
"""

import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/yunwei.sqlite3"
POSTGRES_MEMBER = "database/yunwei.pgdump"
ANCHORS_MEMBER = "audit/anchors.jsonl"
VAR_PREFIX = "var/"
# Rebuilt or transient, so not backed up: collected static files, the filesystem broker's queue (the
# database is the record of pending work), the scheduler's state, and archives being written.
VAR_SKIPPED = ("static", "broker", "celerybeat-schedule")
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore refused or found a mismatch; the message names what."""


@dataclass
class RestoreReport:
    tables: int = 0
    rows: int = 0
    files: int = 0
    audit_events: int = 0


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _version() -> str:
    try:
        return metadata.version("yunwei")
    except metadata.PackageNotFoundError:
        return "unknown"


def _database() -> dict:
    return settings.DATABASES["default"]


def _vendor() -> str:
    return connection.vendor


def _sqlite_files(name: str) -> list[Path]:
    path = Path(name)
    return [path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))]


def _var_files(skip: set[Path]) -> list[Path]:
    """The files of var/ that go into the archive, sorted."""
    var = Path(settings.VAR_DIR)
    if not var.is_dir():
        return []
    found = []
    for root, folders, files in os.walk(var):
        here = Path(root)
        if here == var:
            folders[:] = [name for name in folders if name not in VAR_SKIPPED]
        folders.sort()
        for name in sorted(files):
            path = here / name
            if here == var and name.startswith(VAR_SKIPPED):
                continue
            if path.resolve() in skip or name.endswith(".partial") or not path.is_file():
                continue
            found.append(path)
    return found


def _pg_env() -> dict:
    db = _database()
    env = {**os.environ}
    for key, value in (
        ("PGHOST", db.get("HOST")),
        ("PGPORT", db.get("PORT")),
        ("PGUSER", db.get("USER")),
        ("PGPASSWORD", db.get("PASSWORD")),
        ("PGDATABASE", db.get("NAME")),
        ("PGSSLMODE", (db.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[key] = str(value)
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} not found on PATH: install the PostgreSQL client tools (Debian: postgresql-client) "
            f"of the server's major version"
        )
    return path


# SQLite's own tables (sqlite_sequence, sqlite_stat1) are left out: they follow the others.
SQLITE_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
)


def _table_counts(cursor, vendor: str) -> dict[str, int]:
    """Every table's row count, read through `cursor` (a DB-API cursor of the database counted)."""
    if vendor == "sqlite":
        cursor.execute(SQLITE_TABLES)
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    tables = sorted(row[0] for row in cursor.fetchall())
    counts = {}
    for table in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608 - names read from the catalogue
        counts[table] = cursor.fetchone()[0]
    return counts


def _dump_sqlite(staging: Path) -> tuple[Path, dict[str, int], tuple[int, str]]:
    target = staging / SQLITE_MEMBER
    target.parent.mkdir(parents=True)
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        # The online backup API copies a consistent state even while the web and the worker write.
        connection.connection.backup(copy)
    finally:
        copy.close()
    # Counted from the copy itself, so the manifest describes exactly what was dumped.
    copy = sqlite3.connect(target)
    try:
        cursor = copy.cursor()
        counts = _table_counts(cursor, "sqlite")
        head = cursor.execute("SELECT seq, hash FROM audit_auditchainhead WHERE id = 1").fetchone()
    finally:
        copy.close()
    return target, counts, (int(head[0]), str(head[1])) if head else (0, "")


def _dump_postgres(staging: Path) -> tuple[Path, dict[str, int], tuple[int, str]]:
    pg_dump = _tool("pg_dump")
    target = staging / POSTGRES_MEMBER
    target.parent.mkdir(parents=True)
    # One snapshot for the counts and the dump: pg_dump joins the transaction's exported snapshot, which
    # stays valid while this transaction is open.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _table_counts(cursor, "postgresql")
        cursor.execute("SELECT seq, hash FROM audit_auditchainhead WHERE id = 1")
        head = cursor.fetchone()
        done = subprocess.run(  # noqa: S603 - the client tool found on PATH, fixed arguments
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-owner", f"--file={target}"],
            env=_pg_env(),
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed (exit {done.returncode}): {done.stderr.strip()}")
    return target, counts, (int(head[0]), str(head[1])) if head else (0, "")


def backup(output: Path) -> dict:
    """Write the archive to `output` (written beside it, then renamed) and return its manifest."""
    output = Path(output).resolve()
    if output.exists():
        raise BackupError(f"{output} already exists: choose another file name")
    vendor = _vendor()
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {vendor} database: SQLite and PostgreSQL only")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="yunwei-backup-") as folder:
        staging = Path(folder)
        created_at = datetime.datetime.now(datetime.UTC)
        dump, counts, head = (_dump_sqlite if vendor == "sqlite" else _dump_postgres)(staging)
        anchors = Path(settings.AUDIT_ANCHOR_FILE).resolve()
        skip = {output, anchors}
        if vendor == "sqlite":
            skip |= {path.resolve() for path in _sqlite_files(_database()["NAME"])}
        var = Path(settings.VAR_DIR)
        files: dict[str, Path] = {dump.relative_to(staging).as_posix(): dump}
        for path in _var_files(skip):
            files[VAR_PREFIX + path.relative_to(var).as_posix()] = path
        if anchors.is_file():
            files[ANCHORS_MEMBER] = anchors
        # Each file is copied once and hashed and archived from the copy, so a file changing meanwhile
        # cannot leave a member and its hash apart. The files come after the dump: an upload made in
        # between is a file without its row (harmless), never a row without its file.
        members: dict[str, dict] = {}
        partial = output.with_name(output.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz") as archive:
                for name, path in files.items():
                    copy = staging / "files" / name if not path.is_relative_to(staging) else path
                    if copy != path:
                        copy.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(path, copy)
                    members[name] = {"sha256": sha256_of(copy), "size": copy.stat().st_size}
                    archive.add(copy, arcname=name, recursive=False)
                manifest = {
                    "format": FORMAT,
                    "yunwei_version": _version(),
                    "created_at": created_at.isoformat(),
                    "database": {"vendor": vendor, "member": dump.relative_to(staging).as_posix()},
                    "tables": counts,
                    "audit_head": {"seq": head[0], "hash": head[1]},
                    "members": members,
                }
                data = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(data), int(created_at.timestamp())
                archive.addfile(info, io.BytesIO(data))
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


# -- restoring ------------------------------------------------------------------------------------


def _read_manifest(archive: tarfile.TarFile, path: Path) -> dict:
    try:
        member = archive.getmember(MANIFEST)
        manifest = json.load(archive.extractfile(member))
    except KeyError:
        raise BackupError(f"{path}: no {MANIFEST} in the archive; not a Yunwei backup") from None
    except (ValueError, AttributeError) as error:
        raise BackupError(f"{path}: {MANIFEST} is not readable JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            f"{path}: {MANIFEST} has format {manifest.get('format')!r}; this Yunwei reads {FORMAT}"
        )
    for key in ("database", "tables", "audit_head", "members"):
        if key not in manifest:
            raise BackupError(f"{path}: {MANIFEST} lacks {key!r}")
    return manifest


def _unpack(path: Path, staging: Path) -> dict:
    """Extract the archive into `staging` and check every member against the manifest."""
    if not path.is_file():
        raise BackupError(f"{path}: no such archive")
    try:
        with tarfile.open(path, "r:gz") as archive:
            manifest = _read_manifest(archive, path)
            names = {member.name for member in archive.getmembers()} - {MANIFEST}
            expected = set(manifest["members"])
            for name in sorted(expected):
                parts = Path(name).parts
                if Path(name).is_absolute() or ".." in parts or parts[0] not in ("database", "var", "audit"):
                    raise BackupError(f"{path}: member {name} lies outside the places a backup restores to")
            if names - expected:
                raise BackupError(f"{path}: member {sorted(names - expected)[0]} is not in the manifest")
            if expected - names:
                raise BackupError(f"{path}: member {sorted(expected - names)[0]} is missing from the archive")
            # The "data" filter refuses absolute paths, links out of the folder and device files.
            archive.extractall(staging, filter="data")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise BackupError(f"{path}: not a readable .tar.gz archive ({error})") from None
    for name, expected in sorted(manifest["members"].items()):
        actual = sha256_of(staging / name)
        if actual != expected["sha256"]:
            raise BackupError(
                f"member {name}: SHA-256 {actual} differs from the manifest's {expected['sha256']}; "
                "the archive is damaged or was altered"
            )
    return manifest


def _check_empty_target(manifest: dict) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != _vendor():
        raise BackupError(f"the archive holds a {vendor} database; the target database is {_vendor()}")
    var = Path(settings.VAR_DIR)
    for name in manifest["members"]:
        if name.startswith(VAR_PREFIX) and (var / name[len(VAR_PREFIX) :]).exists():
            raise BackupError(
                f"target file {var / name[len(VAR_PREFIX) :]} already exists: restore into an empty var/"
            )
    anchors = Path(settings.AUDIT_ANCHOR_FILE)
    if ANCHORS_MEMBER in manifest["members"] and anchors.exists() and anchors.stat().st_size > 0:
        raise BackupError(
            f"target audit anchor file {anchors} already exists and is not empty: move it aside"
        )
    name = _database()["NAME"]
    # Asked through the connection on both vendors (on SQLite this makes an empty file, replaced later).
    try:
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
    except DatabaseError as error:
        raise BackupError(f"target database {name} cannot be reached: {error}") from None
    if tables:
        raise BackupError(
            f"target database {name} is not empty (it holds {len(tables)} tables, e.g. {sorted(tables)[0]}): "
            "restore into an empty database"
        )
    if vendor == "sqlite" and connection.is_in_memory_db():
        raise BackupError(f"target database {name} is in memory: restore into a file")


def _restore_sqlite(dump: Path) -> None:
    target = Path(_database()["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    connection.close()
    for path in _sqlite_files(str(target))[1:]:
        path.unlink(missing_ok=True)  # leftovers of the empty database checked above
    # Copied beside the target and renamed: the database appears whole or not at all.
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(dump, partial)
    partial.replace(target)


def _restore_postgres(dump: Path) -> None:
    pg_restore = _tool("pg_restore")
    connection.close()
    done = subprocess.run(  # noqa: S603 - the client tool found on PATH, fixed arguments
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={_database()['NAME']}",
            str(dump),
        ],  # fmt: skip
        env=_pg_env(),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(
            f"pg_restore failed (exit {done.returncode}), nothing restored: {done.stderr.strip()}"
        )


def _place_files(staging: Path, manifest: dict) -> int:
    var = Path(settings.VAR_DIR)
    placed = 0
    for name in sorted(manifest["members"]):
        if name.startswith(VAR_PREFIX):
            target = var / name[len(VAR_PREFIX) :]
        elif name == ANCHORS_MEMBER:
            target = Path(settings.AUDIT_ANCHOR_FILE)
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(staging / name, target)
        placed += 1
    return placed


def verify_restored(manifest: dict) -> RestoreReport:
    """Compare the restored database with the manifest and verify the audit chain; raise naming the
    first table or event that differs."""
    from yunwei.audit import anchors
    from yunwei.audit.services import UNSEALED

    report = RestoreReport()
    with connection.cursor() as cursor:
        counts = _table_counts(cursor, _vendor())
        cursor.execute("SELECT seq, hash FROM audit_auditchainhead WHERE id = 1")
        head = cursor.fetchone()
    for table, rows in sorted(manifest["tables"].items()):
        if table not in counts:
            raise BackupError(f"table {table}: missing after restore (the manifest counts {rows} rows)")
        if counts[table] != rows:
            raise BackupError(
                f"table {table}: {counts[table]} rows after restore, the manifest counts {rows}"
            )
    extra = sorted(set(counts) - set(manifest["tables"]))
    if extra:
        raise BackupError(f"table {extra[0]}: present after restore but not in the manifest")
    report.tables, report.rows = len(counts), sum(counts.values())
    want = manifest["audit_head"]
    got = {"seq": int(head[0]), "hash": str(head[1])} if head else {"seq": 0, "hash": ""}
    if got != want:
        raise BackupError(
            f"audit head is event {got['seq']} {got['hash']}; the manifest has {want['seq']} {want['hash']}"
        )
    check = anchors.verify()
    # Events the dump caught before their seal are sealed by this system's sealer; their wait since the
    # backup is no break in the chain.
    if not check.ok and check.reason != UNSEALED:
        if check.reason == anchors.UNREADABLE:
            raise BackupError(f"audit anchor file unreadable: {anchors.anchor_file()}")
        raise BackupError(f"audit chain broken at event {check.first_bad_seq} ({check.reason}) after restore")
    if check.disagreed_seq is not None:
        raise BackupError(
            f"audit chain disagrees with the head written outside at event {check.disagreed_seq}"
        )
    report.audit_events = check.checked
    return report


def restore(path: Path) -> RestoreReport:
    """Restore the archive at `path` into the configured (empty) database and var/, then verify it."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="yunwei-restore-") as folder:
        staging = Path(folder)
        manifest = _unpack(path, staging)
        _check_empty_target(manifest)
        dump = staging / manifest["database"]["member"]
        (_restore_sqlite if manifest["database"]["vendor"] == "sqlite" else _restore_postgres)(dump)
        files = _place_files(staging, manifest)
    report = verify_restored(manifest)
    report.files = files
    return report
