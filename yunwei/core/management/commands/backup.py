"""`yunwei backup`: the database and var/ in one verified archive (yunwei/core/backup.py)."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yunwei.core import backup


class Command(BaseCommand):
    help = (
        "Write Yunwei's own backup: a consistent dump of the database (SQLite's online backup, or "
        "pg_dump), the files of var/ that are not rebuilt, the audit heads written outside, and a "
        "manifest with every member's SHA-256, the row counts and the audit head."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o",
            "--output",
            help="archive to write (.tar.gz); default yunwei-backup-<UTC time>.tar.gz in the current folder",
        )

    def handle(self, *args, **options):
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        output = Path(options["output"] or f"yunwei-backup-{stamp}.tar.gz")
        try:
            manifest = backup.backup(output)
        except backup.BackupError as error:
            raise CommandError(str(error), returncode=1) from None
        # Plain English on purpose: cron jobs and monitors match this text, whatever the language.
        files = sum(1 for name in manifest["members"] if not name.startswith("database/"))
        self.stdout.write(
            f"backup written: {output.resolve()} ({manifest['database']['vendor']} database, "
            f"{len(manifest['tables'])} tables, {sum(manifest['tables'].values())} rows, {files} files, "
            f"audit head event {manifest['audit_head']['seq']})"
        )
