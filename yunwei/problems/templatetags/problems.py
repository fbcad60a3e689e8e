"""The problem database's panel on the incident page: linked problems, known errors of the incident's
items and the "Register a problem" action. Provided here so that fault handling never imports problems."""

from django import template

from yunwei.core import scoping

from .. import services
from ..models import Problem

register = template.Library()


@register.inclusion_tag("problems/partials/incident_panel.html", takes_context=True)
def incident_problems(context, incident):
    user = context["request"].user
    visible = scoping.visible(Problem.objects.all(), user)
    items = incident.affected_items.values_list("pk", flat=True)
    return {
        "incident": incident,
        "problems": visible.filter(incidents=incident).order_by("-registered_at"),
        "known_errors": services.known_errors(visible, items)[:20],
        "can_register": services.is_staff_for(user, incident.unit_id)
        and incident.state in services.REGISTRABLE_INCIDENT_STATES,
    }
