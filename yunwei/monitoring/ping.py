"""The heartbeat ping endpoints, on Healthchecks' URL conventions so existing scripts work unchanged:
`/ping/<uuid>`, `/start`, `/fail`, `/<exit code>`, `/log`; GET, HEAD or POST; no log-in, no CSRF token.

The answer is sent after the commit: a job that got "OK" knows its ping is stored. The body is read up to
the set limit and one byte more, which says whether the rest was cut; the rest is never read.
"""

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from yunwei.core.errors import DomainError

from . import services
from .choices import PingKind


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def ping(request, uuid, kind=PingKind.SUCCESS, exit_status=None):
    if exit_status is not None:
        if exit_status > 255:
            return HttpResponseBadRequest("exit status must be 0-255", content_type="text/plain")
        kind = PingKind.EXIT_CODE
    limit = settings.PING_BODY_LIMIT
    body = request.read(limit + 1) if request.method == "POST" else b""
    try:
        services.ping(
            uuid,
            kind,
            body=body,
            limit=limit,
            exit_status=exit_status,
            size_header=request.headers.get("X-Backup-Size"),
            remote_addr=request.META.get("REMOTE_ADDR"),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except services.UnknownHeartbeat:
        return HttpResponseNotFound("not found", content_type="text/plain")
    except DomainError as exc:
        return HttpResponseBadRequest(f"{exc.field}: {exc.message}", content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")
