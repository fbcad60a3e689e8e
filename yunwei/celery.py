"""The Celery application: one for web, worker and scheduler; configuration comes from settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunwei.settings")

app = Celery("yunwei")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
