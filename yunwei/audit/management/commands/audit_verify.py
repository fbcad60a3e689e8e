"""`yunwei audit verify`: check the audit chain; exit status 1 names the first bad event (Art. 11)."""

from django.core.management.base import BaseCommand, CommandError

from yunwei.audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit status 1 when an event was altered, inserted or removed."

    def handle(self, *args, **options):
        # Plain English on purpose: cron jobs and monitors match this text, whatever the language.
        result = verify_chain()
        if not result.ok:
            raise CommandError(
                f"audit chain broken at event {result.first_bad_seq} ({result.reason}); "
                f"intact before it: {result.checked}",
                returncode=1,
            )
        self.stdout.write(f"audit chain intact: {result.checked} events")
