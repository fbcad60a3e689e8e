"""Template context shared by every page: the navigation of DESIGN.md's areas, the watch's banner."""

import logging

from django.utils.translation import gettext_lazy as _

from yunwei.core import scoping, watch
from yunwei.notify import services as notify

from .watch import tell_lead

log = logging.getLogger(__name__)


def _everyone(access) -> bool:
    return True


def _reads_the_audit_log(access) -> bool:
    # The audit log answers 404 to all but group system admins (audit.services.can_view).
    return access.is_group_admin


# (label, url name, icon[, who sees the link]): an area enters the navigation with its pages; a link
# shows only to the roles whose page answers (issue 25: no link that answers 403/404).
NAVIGATION = [
    (_("Dashboard"), "web:dashboard", "speedometer2"),
    (_("Service desk"), "servicedesk:portal", "headset"),
    (_("Duty-room wall"), "web:wall", "display"),
    (_("Organisation"), "org:unit-list", "diagram-3"),
    (_("Inventory"), "cmdb:item-list", "hdd-network"),
    (_("Incidents"), "incidents:incident-list", "exclamation-octagon"),
    (_("Problems"), "problems:problem-list", "bug"),
    (_("Changes"), "changes:change-list", "arrow-repeat"),
    (_("Log books"), "logbook:index", "journal-check"),
    (_("Monthly reports"), "reports:archive", "file-earmark-text"),
    (_("Monitoring"), "monitoring:heartbeat-list", "activity"),
    (_("Alerts"), "alerts:alert-list", "bell-fill"),
    (_("Compliance"), "compliance:overview", "clipboard-check"),
    (_("Knowledge base"), "knowledge:article-list", "book"),
    (_("Notifications"), "notify:channel-list", "bell"),
    (_("Audit log"), "audit:event-list", "fingerprint", _reads_the_audit_log),
]


def navigation(request):
    match = getattr(request, "resolver_match", None)
    current = match.namespace if match else ""
    here = match.view_name if match else ""
    access = scoping.access_of(getattr(request, "user", None))
    return {
        "navigation": [
            {
                "label": label,
                "url_name": url_name,
                "icon": icon,
                # The web app's pages are areas of their own (the dashboard, the wall).
                "active": url_name == here if current == "web" else url_name.split(":")[0] == current,
            }
            for label, url_name, icon, *who in NAVIGATION
            if (who[0] if who else _everyone)(access)
        ]
    }


def _sees_the_watch(access) -> bool:
    """Admins and operations staff see the watch's banner; a plain user can do nothing about it."""
    return bool(
        access.is_group_admin or access.admin_unit_ids or access.is_group_staff or access.staff_unit_ids
    )


def _to_tell(states) -> bool:
    return any(s.late != (s.down_since is not None) for s in states.values())


def background_watch(request):
    """The late parts of the background machinery, for the red banner of base.html (staff only).

    One query at most per page (`watch.cached_state`). Any signed-in request that finds an outage
    not told yet, or a recovery, tells the system management lead from this process (`web.watch`).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    states = watch.cached_state()
    if _to_tell(states):
        try:
            tell_lead(states)
        except Exception:  # noqa: BLE001 - the page still shows; the next request tries again
            log.exception("telling the system management lead of the background machinery failed")
        states = watch.cached_state()
    if not _sees_the_watch(scoping.access_of(user)):
        return {}
    return {"watch_late": watch.late_parts(states)}


def inbox(request):
    """The top bar's count of unread notices: a bounded index scan (`notify.unread_count`), lazily, so a
    page that does not draw the top bar pays nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": lambda: notify.unread_count(user), "inbox_unread_cap": notify.UNREAD_SHOWN}
