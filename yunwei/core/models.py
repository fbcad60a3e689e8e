"""Shared model bases."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionedModel(models.Model):
    """A record edited by people: a version number detects concurrent edits (DESIGN: never overwrite)."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("this log cannot be updated")

    def delete(self):
        raise AppendOnlyError("this log cannot be deleted")


class AppendOnlyModel(models.Model):
    """A row of a timeline, written once: never saved again, never deleted on its own (the deletion of
    the record it belongs to takes it)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("this entry cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("this entry cannot be deleted")


class WorkerHeartbeat(models.Model):
    """A mark left by a Celery worker, so Art. 3 monitoring can show that the background machinery runs.

    The scheduler queues one every minute; the API queues one on demand with a fresh token and then
    looks for that token, which proves a task crossed from the web process to a worker.
    """

    hostname = models.CharField(_("hostname"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    token = models.CharField(_("token"), max_length=64, blank=True, db_index=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid} @ {self.at:%Y-%m-%d %H:%M:%S}"
