"""Filters of the audit log, shared by the page and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yunwei.core.filters import IdFilter

from .models import Action, AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=Action.choices, label=_("Action"))
    object_type = django_filters.CharFilter(label=_("Object type"))
    object_id = django_filters.CharFilter(label=_("Object ID"))
    # By number, not a user lookup: the actor may have been deleted, and audit knows no user table.
    actor = IdFilter(field_name="actor_id", label=_("Actor (user ID)"))
    unit_id = IdFilter(label=_("Unit ID"))
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte", label=_("From"))
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lte", label=_("To"))
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))

    class Meta:
        model = AuditEvent
        fields = ["action", "object_type", "object_id", "actor", "unit_id", "since", "until", "search"]

    def filter_search(self, queryset, name, value):
        """Object, actor name or comment containing the text."""
        return queryset.filter(
            Q(object_repr__icontains=value) | Q(actor_name__icontains=value) | Q(comment__icontains=value)
        )
