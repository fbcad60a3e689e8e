"""`Authorization: Token …` for the API: hashed, expiring, revocable tokens. (A browser session that has
not passed its second factor is refused by RequireSecondFactorMiddleware.)"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .models import ApiToken

# How stale a token's "last used" may get: one write a minute at most, not one per request (a client
# sending many requests would otherwise queue them all on its token's row lock).
LAST_USED_EVERY = datetime.timedelta(minutes=1)


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(_("Token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Account is disabled."))
        now = timezone.now()
        if token.last_used_at is None or token.last_used_at < now - LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
