"""Someone with a second factor (or an admin, when it is mandatory) passes the TOTP step first."""

from django.shortcuts import redirect
from django.urls import reverse

from .services import needs_second_factor

EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/")


class RequireSecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not user.is_verified()
            and needs_second_factor(user)
        ):
            return redirect(f"{reverse('accounts:otp')}?next={request.path}")
        return self.get_response(request)
