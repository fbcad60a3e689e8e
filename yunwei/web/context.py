"""Template context shared by every page: the navigation of DESIGN.md's areas."""

from django.utils.translation import gettext_lazy as _

# (label, url name, icon): an area enters the navigation with its pages.
NAVIGATION = [
    (_("Dashboard"), "web:dashboard", "speedometer2"),
    (_("Organisation"), "org:unit-list", "diagram-3"),
    (_("Inventory"), "cmdb:item-list", "hdd-network"),
    (_("Incidents"), "incidents:incident-list", "exclamation-octagon"),
    (_("Problems"), "problems:problem-list", "bug"),
    (_("Changes"), "changes:change-list", "arrow-repeat"),
    (_("Monitoring"), "monitoring:heartbeat-list", "activity"),
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
                "active": url_name.split(":")[0] == current,
            }
            for label, url_name, icon in NAVIGATION
        ]
    }
