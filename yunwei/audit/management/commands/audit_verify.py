"""`yunwei audit verify`: check the audit chain against itself and against the heads written outside the
database; exit status 1 names the first bad event (Art. 11)."""

from django.core.management.base import BaseCommand, CommandError

from yunwei.audit import anchors
from yunwei.audit.models import ChainCheck


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain and compare it with the heads written outside the database; "
        "exit status 1 when an event was altered, inserted, removed or the chain rewritten."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="walk only the events after the last head written outside (the nightly check)",
        )

    def handle(self, *args, **options):
        kind = ChainCheck.Kind.INCREMENTAL if options["incremental"] else ChainCheck.Kind.FULL
        check = anchors.verify(kind)
        # Plain English on purpose: cron jobs and monitors match this text, whatever the language.
        if not check.ok:
            if check.reason == anchors.UNREADABLE:
                raise CommandError(f"audit anchor file unreadable: {anchors.anchor_file()}", returncode=1)
            raise CommandError(
                f"audit chain broken at event {check.first_bad_seq} ({check.reason}); "
                f"intact before it: {check.checked}" + _agreement(check),
                returncode=1,
            )
        self.stdout.write(f"audit chain intact: {check.checked} events" + _agreement(check))


def _agreement(check: ChainCheck) -> str:
    stamp = "%Y-%m-%d %H:%M:%S%z"
    if check.disagreed_seq is not None:
        text = (
            f"; it disagrees with the head written outside at {check.disagreed_at:{stamp}} "
            f"(event {check.disagreed_seq})"
        )
        if check.agreed_at:
            text += f", agreeing up to the one of {check.agreed_at:{stamp}} (event {check.agreed_seq})"
        return text
    if check.agreed_seq is None:
        return "; no head written outside the database to compare with yet"
    return (
        f"; it agrees with the {check.anchors_compared} head(s) written outside compared, "
        f"the last written at {check.agreed_at:{stamp}} (event {check.agreed_seq})"
    )
