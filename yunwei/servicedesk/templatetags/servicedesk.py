"""Display helpers the service desk gives other apps' pages."""

from django import template

from .. import services
from ..models import ServiceRequest

register = template.Library()


@register.inclusion_tag("servicedesk/partials/change_requests.html", takes_context=True)
def change_requests(context, change):
    """The change page's panel (Art. 17): the requests the change was made from, linked where the reader
    may see them (another unit's reader sees the change's page as a 404 already). Provided here so that
    changes never imports the service desk."""
    user = context["request"].user
    made_from = list(ServiceRequest.objects.filter(change=change).order_by("pk"))
    seen = set(
        services.visible(ServiceRequest.objects.filter(change=change), user).values_list("pk", flat=True)
    )
    return {"made_from": [(sr, sr.pk in seen) for sr in made_from]}
