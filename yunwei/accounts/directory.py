"""Log-in against the group's directory (LDAP / Active Directory) with django-auth-ldap, and the sync
that disables accounts the directory disabled or removed (issue 26 item 8).

Loaded only when YUNWEI_LDAP_URL is set (settings add the backend then), so the product starts with
Python alone when there is no directory. Three promises:
- a local account never waits on the directory: the backend does not ask it about a name that belongs
  to a local account;
- a directory that is down or silent costs a log-in at most YUNWEI_LDAP_TIMEOUT seconds per request
  to it (OPT_NETWORK_TIMEOUT for the connection, OPT_TIMEOUT for every answer), and the log-in page
  says the directory did not answer;
- the second factor stays as for any account (accounts.services.needs_second_factor): the roles come
  from the rules, and an admin so made passes TOTP when the setting asks it of admins.
"""

import logging

import ldap
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_auth_ldap.backend import LDAPBackend, ldap_error
from django_auth_ldap.config import (
    GroupOfNamesType,
    LDAPSearch,
    LDAPSettings,
    NestedActiveDirectoryGroupType,
    NestedGroupOfNamesType,
)

from . import provisioning
from .models import DirectoryAccount

log = logging.getLogger(__name__)

GROUP_TYPES = {
    # Nested groups are followed: a member of a group inside a mapped group matches its rule.
    "group_of_names": NestedGroupOfNamesType,
    "active_directory": NestedActiveDirectoryGroupType,
    "flat_group_of_names": GroupOfNamesType,
}
# Marks left on the request for the log-in page.
UNAVAILABLE = "directory_unavailable"
NO_ACCESS = "directory_no_access"


def _options() -> dict:
    seconds = settings.LDAP_TIMEOUT
    return {
        ldap.OPT_NETWORK_TIMEOUT: seconds,
        ldap.OPT_TIMEOUT: seconds,
        ldap.OPT_REFERRALS: 0,  # Active Directory's referrals would send the search to other servers
    }


def directory_settings() -> dict:
    """django-auth-ldap's settings from Yunwei's (YUNWEI_LDAP_*), read when the backend first runs."""
    group_type = GROUP_TYPES[settings.LDAP_GROUP_TYPE]
    return {
        "SERVER_URI": settings.LDAP_URL,
        "BIND_DN": settings.LDAP_BIND_DN,
        "BIND_PASSWORD": settings.LDAP_BIND_PASSWORD,
        "START_TLS": settings.LDAP_START_TLS,
        "CONNECTION_OPTIONS": _options(),
        "USER_SEARCH": LDAPSearch(settings.LDAP_USER_BASE, ldap.SCOPE_SUBTREE, _user_filter()),
        "GROUP_SEARCH": LDAPSearch(settings.LDAP_GROUP_BASE, ldap.SCOPE_SUBTREE, "(objectClass=*)"),
        "GROUP_TYPE": group_type(),
        "USER_ATTR_MAP": {"first_name": "givenName", "last_name": "sn", "email": "mail"},
        "ALWAYS_UPDATE_USER": True,
        "CACHE_TIMEOUT": 0,
    }


def _user_filter() -> str:
    active = settings.LDAP_ACTIVE_FILTER
    return f"(&{settings.LDAP_USER_FILTER}{active})" if active else settings.LDAP_USER_FILTER


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap's backend, configured from YUNWEI_LDAP_* and mapped through the directory rules."""

    @property
    def settings(self):
        if self._settings is None:
            self._settings = LDAPSettings("YUNWEI_AUTH_LDAP_", directory_settings())
        return self._settings

    @settings.setter
    def settings(self, value):
        self._settings = value

    def authenticate(self, request, username=None, password=None, **kwargs):
        name = (username or "").strip()
        if not name or not password:
            return None
        # A local account (no directory entry) is never looked up in the directory.
        local = get_user_model().objects.filter(username__iexact=name, directory__isnull=True).exists()
        if local:
            return None
        return super().authenticate(request, username=name, password=password, **kwargs)

    def authenticate_ldap_user(self, ldap_user, password):
        request = ldap_user._request
        try:
            with transaction.atomic():
                user = super().authenticate_ldap_user(ldap_user, password)
                if user is None:
                    return None
                if not user.is_active:
                    return None  # disabled here (by the sync or an admin): the directory does not undo it
                known = DirectoryAccount.objects.filter(user=user).exists()
                account = provisioning.provision(
                    user,
                    dn=ldap_user.dn,
                    group_dns=ldap_user.group_dns,
                    name=_display_name(ldap_user.attrs),
                    email=user.email,
                )
                if account is None:
                    if not known:
                        transaction.set_rollback(True)  # no account for somebody no rule lets in
                    _mark(request, NO_ACCESS)
                    return None
                return user
        except ldap.LDAPError as exc:
            log.warning("the directory failed while logging in %s: %r", ldap_user._username, exc)
            _mark(request, UNAVAILABLE)
            return None


def _display_name(attrs) -> str:
    for key in ("displayName", "cn"):
        values = attrs.get(key) if attrs else None
        if values:
            return values[0]
    return ""


def _mark(request, flag: str) -> None:
    if request is not None:
        setattr(request, flag, True)


def _on_ldap_error(sender, context, user, request, exception, **kwargs):
    # django-auth-ldap catches the error itself and answers "no such user": keep the reason for the page.
    _mark(request, UNAVAILABLE)


ldap_error.connect(_on_ldap_error, dispatch_uid="yunwei-directory-error")


# -- the sync ---------------------------------------------------------------------------------------


class DirectoryUnavailable(Exception):
    pass


def _connection():
    conn = ldap.initialize(settings.LDAP_URL, bytes_mode=False)
    for option, value in _options().items():
        conn.set_option(option, value)
    if settings.LDAP_START_TLS:
        conn.start_tls_s()
    conn.simple_bind_s(settings.LDAP_BIND_DN, settings.LDAP_BIND_PASSWORD)
    return conn


def _still_there(conn, dn: str) -> bool:
    """The entry exists and passes the active filter (Active Directory: not disabled)."""
    flt = settings.LDAP_ACTIVE_FILTER or "(objectClass=*)"
    try:
        found = conn.search_st(dn, ldap.SCOPE_BASE, flt, ["1.1"], timeout=settings.LDAP_TIMEOUT)
    except ldap.NO_SUCH_OBJECT:
        return False
    return bool(found)


def sync() -> int:
    """Disable the accounts whose directory entry is gone or disabled, ending their sessions and API
    tokens at once; returns how many were disabled. A directory that does not answer disables nobody
    (DirectoryUnavailable)."""
    try:
        conn = _connection()
    except ldap.LDAPError as exc:
        raise DirectoryUnavailable(repr(exc)) from exc
    disabled = 0
    try:
        accounts = DirectoryAccount.objects.filter(user__is_active=True).select_related("user")
        for account in accounts:
            try:
                present = _still_there(conn, account.dn)
            except ldap.LDAPError as exc:
                raise DirectoryUnavailable(repr(exc)) from exc
            if not present:
                disabled += provisioning.disable_from_directory(
                    account, reason="removed or disabled in the directory"
                )
    finally:
        conn.unbind_s()
    return disabled
