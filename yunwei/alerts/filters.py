"""Filters of the alert lists, shared by the pages and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.org.models import Unit

from .choices import AlertStatus, IntegrationKind, IntegrationState, MatchState
from .models import Alert, Integration, MappingRule


class IntegrationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=IntegrationKind.choices)
    state = django_filters.ChoiceFilter(label=_("State"), choices=IntegrationState.choices)
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=Unit.objects.all())

    class Meta:
        model = Integration
        fields = ["kind", "state", "unit"]


class AlertFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=AlertStatus.choices)
    match = django_filters.ChoiceFilter(label=_("Mapping"), choices=MatchState.choices)
    integration = django_filters.ModelChoiceFilter(label=_("Integration"), queryset=Integration.objects.all())
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=Unit.objects.all())
    item = django_filters.ModelChoiceFilter(label=_("Inventory item"), queryset=Item.objects.all())

    class Meta:
        model = Alert
        fields = ["status", "match", "integration", "unit", "item"]


class RuleFilter(django_filters.FilterSet):
    integration = django_filters.ModelChoiceFilter(label=_("Integration"), queryset=Integration.objects.all())

    class Meta:
        model = MappingRule
        fields = ["integration"]
