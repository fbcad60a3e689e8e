"""Filters of the notify lists, shared by the API and the pages."""

import django_filters
from django.utils.translation import gettext_lazy as _

from yunwei.core.filters import IdFilter

from .choices import ChannelKind, DeliveryState
from .models import Channel, Delivery


class ChannelFilter(django_filters.FilterSet):
    unit = IdFilter(field_name="unit_id", label=_("Unit"))
    kind = django_filters.ChoiceFilter(choices=ChannelKind.choices, label=_("Kind"))

    class Meta:
        model = Channel
        fields = ["unit", "kind", "enabled"]


class DeliveryFilter(django_filters.FilterSet):
    unit = IdFilter(field_name="unit_id", label=_("Unit"))
    state = django_filters.ChoiceFilter(choices=DeliveryState.choices, label=_("State"))
    channel = IdFilter(field_name="channel_id", label=_("Channel"))
    event_key = django_filters.CharFilter(label=_("Event key"))

    class Meta:
        model = Delivery
        fields = ["unit", "state", "channel", "event_key"]
