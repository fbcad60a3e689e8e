"""The intake endpoints (docs/alerts.md): `POST /intake/<kind>/<token>/`, or `POST /intake/<kind>/` with
`Authorization: Bearer <token>`. No log-in, no CSRF token: the token is the credential.

Answers: 200 with `{"payload": id, "alerts": n}` only after the commit; 401 for a missing or unknown token
or a missing or wrong signature; 403 for a signature outside its window or replayed; 400 for a body that
is not the kind's JSON (naming the field); 411 without a length; 413 over `ALERT_PAYLOAD_LIMIT`; 415 for
a content type other than JSON; 405 for anything but POST. A refused request stores nothing.
"""

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from yunwei.core.errors import DomainError

from . import services


def _refuse(status: int, detail: str, field: str | None = None) -> JsonResponse:
    body = {"detail": str(detail)}
    if field:
        body["field"] = field
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="yunwei-intake"'
    return response


def _bearer(request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


@csrf_exempt
@require_POST
def receive(request, kind: str, token: str = ""):
    token = token or _bearer(request)
    limit = settings.ALERT_PAYLOAD_LIMIT
    length = request.META.get("CONTENT_LENGTH") or ""
    if length and (not length.isdigit() or int(length) > limit):
        if not length.isdigit():
            return _refuse(400, _("Content-Length is not a number."), "Content-Length")
        return _refuse(413, _("The body is larger than %(limit)s bytes.") % {"limit": limit}, "body")
    content_type = request.content_type or ""
    if content_type != "application/json":
        return _refuse(
            415,
            _("Send the body as application/json (got “%(type)s”).") % {"type": content_type or "—"},
            "Content-Type",
        )
    body = request.read(limit + 1)
    if len(body) > limit:
        return _refuse(413, _("The body is larger than %(limit)s bytes.") % {"limit": limit}, "body")
    if not body:
        return _refuse(400, _("The body is empty."), "body")
    try:
        payload = services.receive(
            token,
            kind,
            body,
            content_type=request.headers.get("Content-Type", ""),
            timestamp=request.headers.get(services.TIMESTAMP_HEADER),
            signature=request.headers.get(services.SIGNATURE_HEADER),
            remote_addr=request.META.get("REMOTE_ADDR"),
        )
    except services.Unauthenticated as exc:
        return _refuse(401, str(exc), "token")
    except services.Forbidden as exc:
        return _refuse(403, str(exc), services.SIGNATURE_HEADER)
    except DomainError as exc:
        return _refuse(400, f"{exc.field}: {exc.message}" if exc.field else exc.message, exc.field)
    return JsonResponse({"payload": payload.pk, "alerts": payload.alert_count})
