"""Template context shared by every page: the navigation of DESIGN.md's areas."""

from django.utils.translation import gettext_lazy as _

# (label, url name or None while the area is not built yet, icon)
NAVIGATION = [
    (_("Dashboard"), "web:dashboard", "speedometer2"),
    (_("Organisation"), "org:unit-list", "diagram-3"),
    (_("Inventory"), "cmdb:item-list", "hdd-network"),
    (_("Monitoring"), None, "activity"),
    (_("Incidents"), "incidents:incident-list", "exclamation-octagon"),
    (_("Problems"), "problems:problem-list", "bug"),
    (_("Changes"), "changes:change-list", "arrow-repeat"),
    (_("Log books"), None, "journal-text"),
    (_("Reports"), None, "file-earmark-bar-graph"),
    (_("Compliance"), None, "shield-check"),
    (_("Notifications"), "notify:channel-list", "bell"),
    (_("Audit log"), "audit:event-list", "fingerprint"),
]


def navigation(request):
    match = getattr(request, "resolver_match", None)
    current = match.namespace if match else ""
    return {
        "navigation": [
            {
                "label": label,
                "url_name": url_name,
                "icon": icon,
                "active": bool(url_name) and url_name.split(":")[0] == current,
            }
            for label, url_name, icon in NAVIGATION
        ]
    }
