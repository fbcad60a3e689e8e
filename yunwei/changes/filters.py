"""Filters of the change list, shared by the page and the API (Art. 17–18)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from yunwei.core.filters import IdFilter
from yunwei.org.models import Unit

from . import queues
from .choices import ChangeKind, ChangeType, Risk, State
from .models import Change, MaintenanceWindow, awaiting_approval_q, awaiting_rollback_q


class ChangeFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=State.choices)
    change_type = django_filters.ChoiceFilter(label=_("Type"), choices=ChangeType.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ChangeKind.choices)
    risk = django_filters.ChoiceFilter(label=_("Risk"), choices=Risk.choices)
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=Unit.objects.all())
    window_after = django_filters.DateFilter(
        label=_("Window from"), field_name="planned_end", lookup_expr="date__gte"
    )
    window_before = django_filters.DateFilter(
        label=_("Window until"), field_name="planned_start", lookup_expr="date__lte"
    )
    awaiting_approval = django_filters.BooleanFilter(
        label=_("Awaiting approval"), method="filter_awaiting_approval"
    )
    awaiting_rollback = django_filters.BooleanFilter(
        label=_("Refused, awaiting rollback"), method="filter_awaiting_rollback"
    )
    awaiting_my_decision = django_filters.BooleanFilter(
        label=_("Awaiting my decision"), method="filter_awaiting_my_decision"
    )

    class Meta:
        model = Change
        fields = [
            "state",
            "change_type",
            "kind",
            "risk",
            "unit",
            "window_after",
            "window_before",
            "awaiting_approval",
            "awaiting_rollback",
            "awaiting_my_decision",
        ]

    def filter_awaiting_my_decision(self, queryset, name, value):
        """Changes waiting on the requesting user's approval decision (`queues.awaiting_decision`)."""
        if value is None:
            return queryset
        decided = queues.awaiting_decision(queryset, getattr(self.request, "user", None))
        return decided if value else queryset.exclude(pk__in=decided.values("pk"))

    def filter_awaiting_approval(self, queryset, name, value):
        """Emergency changes carried out before their approval came in (yes), or every other (no)."""
        if value is None:
            return queryset
        return queryset.filter(awaiting_approval_q()) if value else queryset.exclude(awaiting_approval_q())

    def filter_awaiting_rollback(self, queryset, name, value):
        """Emergency changes whose approval was refused after the fact, not yet rolled back or excepted."""
        if value is None:
            return queryset
        return queryset.filter(awaiting_rollback_q()) if value else queryset.exclude(awaiting_rollback_q())


class MaintenanceWindowFilter(django_filters.FilterSet):
    change = IdFilter(label=_("Change"), field_name="change_id")
    item = IdFilter(label=_("Item"), field_name="item_id")
    active_at = django_filters.IsoDateTimeFilter(label=_("Open at"), method="filter_active_at")

    class Meta:
        model = MaintenanceWindow
        fields = ["change", "item", "active_at"]

    def filter_active_at(self, queryset, name, value):
        return queryset.filter(starts_at__lte=value, ends_at__gt=value)
