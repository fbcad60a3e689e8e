"""`yunwei audit anchor`: write the audit chain's head outside the database now (as the scheduler does)."""

from django.core.management.base import BaseCommand

from yunwei.audit import anchors


class Command(BaseCommand):
    help = "Append the audit chain's head to the anchor file (and syslog when configured)."

    def handle(self, *args, **options):
        anchor = anchors.write_anchor()
        if anchor is None:
            self.stdout.write("audit head unchanged since the last anchor")
        else:
            self.stdout.write(f"audit head written outside: event {anchor.seq} to {anchors.anchor_file()}")
