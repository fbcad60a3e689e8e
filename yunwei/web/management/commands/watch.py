from django.core.management.base import BaseCommand

from yunwei.core import watch
from yunwei.web.watch import tell_lead


class Command(BaseCommand):
    help = (
        "Tell the system management lead when the scheduler or the workers have gone quiet (and when they "
        "are back). Run every minute by a systemd timer in scale mode; `yunwei serve` does it itself."
    )

    def handle(self, *args, **options):
        states = watch.state()
        sent = tell_lead(states)
        late = [part.part for part in watch.late_parts(states)]
        self.stdout.write(f"late: {', '.join(late) or 'none'}; notices sent: {len(sent)}")
