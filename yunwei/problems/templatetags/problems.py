"""The problem database's panel on the incident page: linked problems, known errors of the incident's
items and the "Register a problem" action. Provided here so that fault handling never imports problems."""

from django import template

from yunwei.core import scoping
from yunwei.incidents.choices import State as IncidentState

from .. import closing, services
from ..forms import CloseIncidentForm
from ..models import Problem

register = template.Library()


@register.inclusion_tag("problems/partials/incident_panel.html", takes_context=True)
def incident_problems(context, incident):
    user = context["request"].user
    visible = scoping.visible(Problem.objects.all(), user)
    items = incident.affected_items.values_list("pk", flat=True)
    staff = services.is_staff_for(user, incident.unit_id)
    # Art. 14: a restored fault not fixed for good closes here, linked to its problem in the same step.
    closable = staff and incident.state == IncidentState.RESTORED
    return {
        "close_form": CloseIncidentForm(problems=closing.linkable_problems(incident, user))
        if closable
        else None,
        "incident": incident,
        "problems": visible.filter(incidents=incident).order_by("-registered_at"),
        "known_errors": services.known_errors(visible, items)[:20],
        "can_register": staff and incident.state in services.REGISTRABLE_INCIDENT_STATES,
    }
