"""Someone with a second factor (or an admin, when it is mandatory) passes the TOTP step first.

Until then the session reaches only the TOTP step and log-out: not the device set-up while a
confirmed device exists (enrolling a new one would skip the factor), not the password change, and
not the API (which accepts the browser session). The same middleware keeps the log-in session
record in step when the session key changes, so disabling the account still ends the session.
"""

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import user_has_device

from . import services

EXEMPT_PREFIXES = ("/static/", "/i18n/")


def _token_request(request) -> bool:
    # A token request is authenticated by its token, not by the session (ExpiringTokenAuthentication).
    return request.headers.get("Authorization", "").split(" ", 1)[0].lower() == "token"


class RequireSecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        old_key = request.session.session_key
        response = self._refuse_until_verified(request) or self.get_response(request)
        if old_key and request.session.session_key != old_key:
            services.follow_session_key(request.user, old_key, request.session.session_key)
        return response

    def _refuse_until_verified(self, request):
        path = request.path
        if path.startswith(EXEMPT_PREFIXES) or not services.second_factor_pending(request.user):
            return None
        allowed = {reverse("accounts:otp"), reverse("accounts:logout"), reverse("accounts:login")}
        if not user_has_device(request.user, confirmed=True):
            allowed.add(reverse("accounts:otp-setup"))  # mandatory TOTP, nothing set up yet
        if path in allowed:
            return None
        if path.startswith("/api/"):
            if path == reverse("api:auth:token") or _token_request(request):
                return None
            return JsonResponse(
                {"detail": _("Pass the second factor (TOTP) on the web page first.")}, status=403
            )
        return redirect(f"{reverse('accounts:otp')}?next={path}")


class SessionTimeoutMiddleware:
    """Ends a browser session idle longer than SESSION_IDLE_SECONDS or older than SESSION_ABSOLUTE_SECONDS
    (audited as a log-out naming the limit); a page then goes to the log-in page, the API answers 403.
    Token requests are not sessions: their tokens expire on their own (API_TOKEN_DAYS)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or _token_request(request)
            or request.path.startswith(EXEMPT_PREFIXES)
        ):
            return self.get_response(request)
        session = request.session
        expired = services.session_expiry(session)
        if expired:
            services.log_out(request, reason=f"session {expired} time-out")
            text = (
                _("Your session ended after a time without use; log in again.")
                if expired == "idle"
                else _("Your session reached its longest allowed length; log in again.")
            )
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": text}, status=403)
            messages.info(request, text)
            login = f"{reverse('accounts:login')}?next={request.get_full_path()}"
            if request.headers.get("HX-Request") == "true":
                # An htmx swap would draw the log-in page inside the part it replaces: the whole page goes.
                response = HttpResponse(status=204)
                response["HX-Redirect"] = login
                return response
            return redirect(login)
        seen = session.get(services.SESSION_SEEN)
        now = services.time.time()
        if seen is None or now - seen >= services.SEEN_GRANULARITY:
            services.stamp_session(session, now=now)
        return self.get_response(request)
