"""Display helpers of the incident pages."""

import datetime

from django import template
from django.utils.translation import gettext as _

from yunwei.org.choices import Role

from ..choices import Deadline

register = template.Library()


@register.filter
def duration(value: datetime.timedelta | None) -> str:
    """A timer as people read it: “2 d 3 h”, “1 h 5 min”, “4 min”."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}


@register.filter
def role_label(code: str) -> str:
    return str(Role(code).label) if code in Role.values else code


@register.filter
def deadline_label(code: str) -> str:
    return str(Deadline(code).label) if code in Deadline.values else code


@register.inclusion_tag("incidents/partials/change_incidents.html", takes_context=True)
def change_incidents(context, change):
    """The change page's panel (Art. 18): the incidents the change is suspected of, as the reader may see
    them, and how many signals its windows held back. Provided here so that changes never imports
    fault handling."""
    from yunwei.core import scoping

    from ..models import Incident, Signal

    user = context["request"].user
    incidents = scoping.visible(Incident.objects.filter(suspected_changes=change), user)
    incidents = incidents.order_by("-started_at")
    return {
        "incidents": incidents[:100],
        "suppressed": scoping.visible(Signal.objects.filter(suppressed_by=change), user).count(),
    }
