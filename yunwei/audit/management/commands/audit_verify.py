"""`yunwei audit verify`: seal what waits, check the audit chain against itself and against the heads
written outside the database, and say how fresh the seal is; exit status 1 names the first bad event, or
the events left unsealed beyond the limit (Art. 11)."""

from django.core.management.base import BaseCommand, CommandError

from yunwei.audit import anchors, services
from yunwei.audit.models import ChainCheck


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain and compare it with the heads written outside the database; "
        "exit status 1 when an event was altered, inserted, removed or the chain rewritten, or an event "
        "waited unsealed longer than YUNWEI_AUDIT_SEAL_LIMIT."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="walk only the events after the last head written outside (the nightly check)",
        )
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="do not seal waiting events first: report the seal as the sealer left it",
        )

    def handle(self, *args, **options):
        kind = ChainCheck.Kind.INCREMENTAL if options["incremental"] else ChainCheck.Kind.FULL
        check = anchors.verify(kind, seal_first=not options["no_seal"])
        # Plain English on purpose: cron jobs and monitors match this text, whatever the language.
        if not check.ok:
            if check.reason == anchors.UNREADABLE:
                raise CommandError(f"audit anchor file unreadable: {anchors.anchor_file()}", returncode=1)
            if check.reason == services.UNSEALED:
                raise CommandError(
                    f"audit chain intact: {check.checked} events, but {_freshness(check)} "
                    f"(the limit is {services.seal_limit().total_seconds():.0f} s)" + _agreement(check),
                    returncode=1,
                )
            raise CommandError(
                f"audit chain broken at event {check.first_bad_seq} ({check.reason}); "
                f"intact before it: {check.checked}" + _agreement(check),
                returncode=1,
            )
        self.stdout.write(
            f"audit chain intact: {check.checked} events, {_freshness(check)}" + _agreement(check)
        )


def _freshness(check: ChainCheck) -> str:
    if not check.unsealed:
        return "every event sealed"
    age = (check.finished_at - check.oldest_unsealed_at).total_seconds()
    return f"{check.unsealed} event(s) waiting to be sealed, the oldest for {max(age, 0):.0f} s"


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
