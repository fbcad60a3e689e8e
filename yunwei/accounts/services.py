"""Log-in, log-out and API tokens: the one write path for sessions and tokens (Art. 8, 11)."""

import datetime
import time

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from yunwei.audit import services as audit
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.records import update_record
from yunwei.org import services as org_services

from .models import ApiToken, LoginSession


def needs_second_factor(user) -> bool:
    """TOTP is asked of anyone who set it up, and of every admin when the setting makes it mandatory."""
    if user_has_device(user, confirmed=True):
        return True
    access = user.access
    return settings.REQUIRE_TOTP_FOR_ADMINS and (access.is_group_admin or access.is_unit_admin)


def second_factor_pending(user) -> bool:
    """Logged in with the password only, by an account that needs the second factor: such a session
    may open nothing but the TOTP step (and log-out) until it passes it."""
    if not getattr(user, "is_authenticated", False) or _passed_second_factor(user):
        return False
    return needs_second_factor(user)


def may_replace_device(user) -> bool:
    """A confirmed device is replaced only from a session that passed it, or the password alone would
    be enough to enrol a new device and skip the second factor."""
    if not user_has_device(user, confirmed=True):
        return True
    return _passed_second_factor(user)


def _passed_second_factor(user) -> bool:
    # django-otp's middleware gives the request's user `is_verified`; a user without it is unverified.
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


def check_totp(user, code: str) -> bool:
    code = (code or "").strip()
    return any(
        device.verify_token(code) for device in TOTPDevice.objects.devices_for_user(user, confirmed=True)
    )


def check_fresh_factor(user, *, password: str = "", otp: str = "") -> None:
    """Step-up for an act that must be the account holder's own right now (signing a month, Art. 5): a
    TOTP code when the account has a confirmed device — a code already used is refused, django-otp keeps
    the last accepted step — otherwise the account's password, typed again. Raises DomainError naming the
    field at fault; a session alone never passes."""
    if user_has_device(user, confirmed=True):
        if not (otp or "").strip():
            raise DomainError(_("Enter a fresh one-time code from your authenticator."), field="otp")
        if not check_totp(user, otp):
            raise DomainError(_("The one-time code is wrong or was used already."), field="otp")
        return
    if not password:
        raise DomainError(_("Enter your password again to confirm."), field="password")
    if not user.check_password(password):
        raise DomainError(_("The password is wrong."), field="password")


@transaction.atomic
def log_in(request, user) -> None:
    """Django's login() issues a new session key (no fixation); the key is kept so disabling ends it."""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    LoginSession.objects.create(user=user, session_key=request.session.session_key)
    stamp_session(request.session, started=True)
    audit.record("login", actor=user, obj=user, object_repr=user.username, unit_id=user.access.unit_id)


@transaction.atomic
def record_failed_login(username: str, *, channel: str) -> None:
    """A refused log-in, named by the user name tried: nothing says whether such an account exists."""
    audit.record(
        "login_failed",
        actor=AnonymousUser(),
        object_type="accounts.user",
        object_repr=username,
        comment=f"via {channel}",
    )


def follow_session_key(user, old_key: str | None, new_key: str | None) -> None:
    """The session key changed (password change, second factor, any cycle_key): move the log-in
    session to the new key, so disabling the account still finds and ends it."""
    if not old_key or not new_key or old_key == new_key or not getattr(user, "is_authenticated", False):
        return
    rows = LoginSession.objects.filter(user=user, session_key=old_key)
    if LoginSession.objects.filter(user=user, session_key=new_key).exists():
        rows.delete()  # log_in() already recorded the new key
    else:
        rows.update(session_key=new_key)


@transaction.atomic
def log_out(request, *, reason: str = "") -> None:
    user = request.user
    if user.is_authenticated:
        LoginSession.objects.filter(user=user, session_key=request.session.session_key).delete()
        audit.record(
            "logout",
            actor=user,
            obj=user,
            object_repr=user.username,
            unit_id=user.access.unit_id,
            comment=reason,
        )
    logout(request)


# Session time-outs (settings.SESSION_IDLE_SECONDS, SESSION_ABSOLUTE_SECONDS): the session carries when
# it was logged in and when it was last used, as Unix seconds; SessionTimeoutMiddleware ends it when
# either limit is passed.
SESSION_STARTED = "yunwei_started_at"
SESSION_SEEN = "yunwei_seen_at"
# The last-used stamp is rewritten at most this often, so a page's requests do not each write the session.
SEEN_GRANULARITY = 60


def stamp_session(session, *, started: bool = False, now: float | None = None) -> None:
    now = time.time() if now is None else now
    if started or SESSION_STARTED not in session:
        session[SESSION_STARTED] = now
    session[SESSION_SEEN] = now


def session_expiry(session, *, now: float | None = None) -> str:
    """'idle' or 'absolute' when the session has passed that limit, else ''."""
    now = time.time() if now is None else now
    started, seen = session.get(SESSION_STARTED), session.get(SESSION_SEEN)
    if started is not None and now - started > settings.SESSION_ABSOLUTE_SECONDS:
        return "absolute"
    if seen is not None and now - seen > settings.SESSION_IDLE_SECONDS:
        return "idle"
    return ""


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
    """Confirm a new device; it replaces the account's others, so that needs a verified session."""
    if not may_replace_device(actor):
        raise PermissionDenied(_("Pass the second factor with your current device first."))
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


CONTACT_FIELDS = org_services.CONTACT_FIELDS


@transaction.atomic
def change_own_contact(user, *, password: str = "", otp: str = "", expected_version=None, **fields):
    """The account holder's own e-mail and phone, changed only after they prove it is them again
    (check_fresh_factor: a fresh TOTP code, else the password), so a session left open is not enough
    to redirect the notices and the password resets that go to them. Audited like any update."""
    from yunwei.org.models import Person

    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise DomainError(_("Only the e-mail and the phone are changed here."), field=sorted(unknown)[0])
    if not fields:
        raise DomainError(_("Give the new e-mail or phone."), field="email")
    person = Person.objects.filter(account=user).first()
    if person is None:
        raise DomainError(
            _("This account belongs to no person, so it has no contact details."), field="email"
        )
    check_fresh_factor(user, password=password, otp=otp)
    return update_record(
        person,
        actor=user,
        expected_version=expected_version,
        comment="own contact details, re-authenticated",
        **{name: (value or "").strip() for name, value in fields.items()},
    )
