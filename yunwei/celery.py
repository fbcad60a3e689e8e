"""The Celery application: one for web, worker and scheduler; configuration comes from settings."""

import os

from celery import Celery, bootsteps
from click import Option

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunwei.settings")

app = Celery("yunwei")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class ThreadedBeat(bootsteps.StartStopStep):
    """`celery worker --beat-thread`: the scheduler as a thread of the worker, where `-B` forks it into a
    process of its own (about 120 MiB more). Embedded mode (`yunwei serve`) runs it so; scale mode runs
    `yunwei scheduler` apart."""

    label = "ThreadedBeat"
    conditional = True

    def __init__(self, worker, beat_thread=False, **kwargs):
        self.enabled = bool(beat_thread)
        super().__init__(worker, **kwargs)

    def create(self, worker):
        from celery.beat import EmbeddedService

        return EmbeddedService(
            worker.app,
            thread=True,
            schedule_filename=worker.schedule_filename,
            scheduler_cls=worker.scheduler,
        )


app.user_options["worker"].add(
    Option(
        ["--beat-thread"], is_flag=True, default=False, help="Run the scheduler as a thread of this worker."
    )
)
app.steps["worker"].add(ThreadedBeat)
