"""Large list exports built in the background.

A list's export (`respond`) counts its rows first, reading at most the threshold plus one: up to
`EXPORT_JOB_ROWS` rows the .xlsx streams at once as before; beyond, an `ExportJob` is recorded (who asked,
which list, the filter as its query string) and a worker writes the workbook row by row (openpyxl's
write-only mode) to a file under var/exports, counting its progress, then keeps its row count and SHA-256.
The worker rebuilds the list's rows from the same source as the page (`SOURCES`) with the owner as the
reader, so the file holds exactly the scoped list's rows. Only the owner sees the job and its file (404
for everybody else); a periodic task deletes the files of expired jobs; a failure keeps why.
"""

import hashlib
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from yunwei.audit import services as audit
from yunwei.core import exports
from yunwei.core.errors import PermissionDenied
from yunwei.core.pages import page_view

from .models import ExportJob

# Each exportable list: where its source is built from a request (the same function its page's export uses).
SOURCES = {
    "incidents": "yunwei.incidents.views.export_source",
    "changes": "yunwei.changes.views.export_source",
    "problems": "yunwei.problems.views.export_source",
    "audit": "yunwei.audit.views.export_source",
}
# The job writes its progress every this many rows (one small UPDATE each).
PROGRESS_EVERY = 2000


def export_dir() -> Path:
    return Path(settings.EXPORT_JOB_DIR)


def respond(request, kind: str, source: exports.ListSource):
    """The list's export: streamed at once up to the threshold, else a background job and its page."""
    threshold = settings.EXPORT_JOB_ROWS
    if source.queryset.order_by()[: threshold + 1].count() <= threshold:
        return source.response()
    job = start(kind=kind, actor=request.user, query=request.GET.urlencode())
    return redirect("web:export-job", job.pk)


def start(*, kind: str, actor, query: str, now=None) -> ExportJob:
    """Record the job and hand it to a worker once the record is committed."""
    if kind not in SOURCES:
        raise ValueError(kind)
    now = now or timezone.now()
    person = getattr(actor, "person", None)
    with transaction.atomic():
        job = ExportJob.objects.create(
            owner=actor,
            unit_id=getattr(person, "unit_id", None),
            kind=kind,
            query=query,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            created_at=now,
            expires_at=now + settings.EXPORT_JOB_KEEP,
        )
        audit.record("create", actor=actor, obj=job, after={"kind": kind, "query": query})
        from . import tasks

        transaction.on_commit(lambda: tasks.build_export.delay(job.pk), robust=True)
    return job


def _request_of(job: ExportJob) -> HttpRequest:
    """The list's request as its owner made it: the same filter, sort and reader."""
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict(job.query)
    request.user = job.owner
    request.htmx = False
    return request


def _counted(job_pk: int, rows):
    for written, row in enumerate(rows, start=1):
        yield row
        if written % PROGRESS_EVERY == 0:
            ExportJob.objects.filter(pk=job_pk).update(written=written)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build(pk: int, now=None) -> ExportJob | None:
    """Write the job's workbook (a worker runs this). A job is claimed once, so a task delivered twice
    builds it once; whatever goes wrong is kept on the job as why it failed, and no partial file stays."""
    claimed = ExportJob.objects.filter(pk=pk, state=ExportJob.State.QUEUED).update(
        state=ExportJob.State.RUNNING
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("owner").get(pk=pk)
    folder = export_dir()
    name = f"{job.pk}-{secrets.token_hex(8)}.xlsx"
    partial = folder / f"{name}.part"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with translation.override(job.language):
            source = import_string(SOURCES[job.kind])(_request_of(job))
            total = source.queryset.order_by().count()
            ExportJob.objects.filter(pk=pk).update(total=total)
            rows = _counted(pk, source.to_rows(source.queryset))
            with partial.open("wb") as handle:
                exports.write_xlsx(handle, source.headers, rows, **source.options())
        os.replace(partial, folder / name)
        done = timezone.now() if now is None else now
        ExportJob.objects.filter(pk=pk).update(
            state=ExportJob.State.DONE,
            file_name=name,
            written=total,
            size=(folder / name).stat().st_size,
            sha256=_sha256(folder / name),
            finished_at=done,
            expires_at=done + settings.EXPORT_JOB_KEEP,
        )
    except Exception as exc:  # noqa: BLE001 — any failure is said on the job's page, never lost
        partial.unlink(missing_ok=True)
        if isinstance(exc, Http404 | DjangoPermissionDenied | PermissionDenied):
            with translation.override(job.language):
                reason = gettext("The list is not open to you any more.")
        else:
            reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        ExportJob.objects.filter(pk=pk).update(
            state=ExportJob.State.FAILED, error=str(reason)[:2000], finished_at=timezone.now()
        )
    return ExportJob.objects.get(pk=pk)


def expire(now=None) -> int:
    """Delete the files of jobs past their keeping time; the job stays, saying it expired."""
    now = now or timezone.now()
    due = ExportJob.objects.filter(
        state__in=[ExportJob.State.DONE, ExportJob.State.FAILED], expires_at__lte=now
    ).order_by("expires_at")
    expired = 0
    for pk, file_name in list(due.values_list("pk", "file_name")[:1000]):
        if file_name:
            (export_dir() / file_name).unlink(missing_ok=True)
        expired += (
            ExportJob.objects.filter(pk=pk)
            .exclude(state=ExportJob.State.EXPIRED)
            .update(state=ExportJob.State.EXPIRED, file_name="")
        )
    return expired


# -- pages ------------------------------------------------------------------------------------------


def own_job(request, pk: int) -> ExportJob:
    """The job, if the requester asked for it: anybody else's is not found."""
    return get_object_or_404(ExportJob.objects.filter(owner_id=request.user.pk), pk=pk)


def _status(job: ExportJob) -> dict:
    return {
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "written": job.written,
        "total": job.total,
        "percent": job.percent,
        "error": job.error,
        "download_url": reverse("web:export-job-download", args=[job.pk])
        if job.state == ExportJob.State.DONE
        else "",
        "sha256": job.sha256,
    }


@page_view
@require_GET
def job_page(request, pk):
    job = own_job(request, pk)
    return render(request, "web/export_job.html", {"job": job, "status": _status(job)})


@page_view
@require_GET
def job_status(request, pk):
    return JsonResponse(_status(own_job(request, pk)))


@page_view
@require_GET
def job_download(request, pk):
    job = own_job(request, pk)
    path = export_dir() / job.file_name
    if job.state != ExportJob.State.DONE or not job.file_name or not path.is_file():
        raise Http404
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d-%H%M")
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=f"{job.kind}-{stamp}.xlsx", content_type=exports.XLSX
    )
