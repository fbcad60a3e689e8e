"""The heartbeat lists' filters, shared by the pages and the API."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.core.errors import DomainError
from yunwei.org.models import Unit

from . import services
from .choices import CheckKind, CheckState, HeartbeatState, JobKind, PingKind
from .models import Check, Heartbeat, HeartbeatRun


class HeartbeatFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=HeartbeatState.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=JobKind.choices)
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=Unit.objects.all())
    item = django_filters.ModelChoiceFilter(label=_("Inventory item"), queryset=Item.objects.all())

    class Meta:
        model = Heartbeat
        fields = ["state", "kind", "unit", "item"]


class MonthField(forms.CharField):
    def validate(self, value):
        super().validate(value)
        if value:
            try:
                services.month_bounds(value)
            except DomainError as exc:
                raise ValidationError(exc.message) from None


class RunFilter(django_filters.FilterSet):
    heartbeat = django_filters.ModelChoiceFilter(label=_("Heartbeat"), queryset=Heartbeat.objects.all())
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PingKind.choices)
    trusted = django_filters.BooleanFilter(label=_("Trusted"))

    class Meta:
        model = HeartbeatRun
        fields = ["heartbeat", "kind", "trusted"]


class BackupLogFilter(django_filters.FilterSet):
    """The backup log of a unit and a month (Art. 5: 数据备份日志)."""

    unit = django_filters.ModelChoiceFilter(
        label=_("Unit"), field_name="heartbeat__unit", queryset=Unit.objects.all()
    )
    month = django_filters.CharFilter(label=_("Month"), method="filter_month", help_text="YYYY-MM")
    month.field_class = MonthField

    class Meta:
        model = HeartbeatRun
        fields = ["unit", "month"]

    def filter_month(self, queryset, name, value):
        start, end = services.month_bounds(value)
        return queryset.filter(received_at__gte=start, received_at__lt=end)


class CheckFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=CheckState.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=CheckKind.choices)
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=Unit.objects.all())
    item = django_filters.ModelChoiceFilter(label=_("Inventory item"), queryset=Item.objects.all())

    class Meta:
        model = Check
        fields = ["state", "kind", "unit", "item"]
