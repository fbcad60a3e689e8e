"""`yunwei restore <archive>`: into an empty database and var/, then verified (yunwei/core/backup.py)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yunwei.core import backup


class Command(BaseCommand):
    help = (
        "Restore a `yunwei backup` archive into the configured database, which must be empty, and var/: "
        "every member's SHA-256 is checked first; afterwards every table's row count and the audit chain "
        "are verified. Exit status 1 names the member, table or file that differs."
    )
    # The target must stay untouched until the archive is checked: no check may open the database first.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("archive", help="the .tar.gz written by `yunwei backup`")

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            report = backup.restore(Path(options["archive"]))
        except backup.BackupError as error:
            raise CommandError(f"restore refused or failed: {error}", returncode=1) from None
        # Plain English on purpose: cron jobs and monitors match this text, whatever the language.
        self.stdout.write(
            f"restored and verified: {report.tables} tables with {report.rows} rows as in the manifest, "
            f"{report.files} files, audit chain intact ({report.audit_events} events) "
            f"in {time.monotonic() - started:.1f} s"
        )
