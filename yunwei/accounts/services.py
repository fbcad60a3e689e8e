"""Log-in, log-out and API tokens: the one write path for sessions and tokens (Art. 8, 11)."""

import datetime

from django.conf import settings
from django.contrib.auth import login, logout
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from yunwei.audit import services as audit
from yunwei.core.errors import DomainError, PermissionDenied

from .models import ApiToken, LoginSession


def needs_second_factor(user) -> bool:
    """TOTP is asked of anyone who set it up, and of every admin when the setting makes it mandatory."""
    if user_has_device(user, confirmed=True):
        return True
    access = user.access
    return settings.REQUIRE_TOTP_FOR_ADMINS and (access.is_group_admin or access.is_unit_admin)


def check_totp(user, code: str) -> bool:
    code = (code or "").strip()
    return any(
        device.verify_token(code) for device in TOTPDevice.objects.devices_for_user(user, confirmed=True)
    )


@transaction.atomic
def log_in(request, user) -> None:
    """Django's login() issues a new session key (no fixation); the key is kept so disabling ends it."""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    LoginSession.objects.create(user=user, session_key=request.session.session_key)
    audit.record("login", actor=user, obj=user, object_repr=user.username, unit_id=user.access.unit_id)


@transaction.atomic
def log_out(request) -> None:
    user = request.user
    if user.is_authenticated:
        LoginSession.objects.filter(user=user, session_key=request.session.session_key).delete()
        audit.record("logout", actor=user, obj=user, object_repr=user.username, unit_id=user.access.unit_id)
    logout(request)


@transaction.atomic
def issue_token(user, *, otp: str = "") -> tuple[str, ApiToken]:
    """A new API token; the key is returned once and only its hash is kept."""
    if needs_second_factor(user):
        if not user_has_device(user, confirmed=True):
            raise PermissionDenied(_("Set up the second factor (TOTP) on the web page first."))
        if not check_totp(user, otp):
            raise DomainError(_("The one-time code is missing or wrong."), field="otp")
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user,
        key_hash=ApiToken.hash_key(key),
        prefix=key[:8],
        expires_at=timezone.now() + datetime.timedelta(days=settings.API_TOKEN_DAYS),
    )
    audit.record("token_issued", actor=user, obj=token, object_repr=token.prefix, unit_id=user.access.unit_id)
    return key, token


@transaction.atomic
def revoke_token(token: ApiToken, *, actor) -> None:
    if token.user_id != actor.pk:
        raise PermissionDenied(_("You may only revoke your own tokens."))
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        audit.record(
            "token_revoked", actor=actor, obj=token, object_repr=token.prefix, unit_id=actor.access.unit_id
        )


@transaction.atomic
def confirm_totp_device(device: TOTPDevice, code: str, *, actor) -> None:
    if not device.verify_token((code or "").strip()):
        raise DomainError(_("The one-time code is wrong; check the clock of your phone."), field="code")
    TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(
        "update",
        actor=actor,
        obj=actor,
        object_repr=actor.username,
        unit_id=actor.access.unit_id,
        after={"totp": "confirmed"},
    )


@transaction.atomic
def record_password_change(user) -> None:
    audit.record(
        "update",
        actor=user,
        obj=user,
        object_repr=user.username,
        unit_id=user.access.unit_id,
        after={"password": "changed"},
    )
