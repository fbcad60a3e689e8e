"""The indicator form (Art. 3 (1)): input only; services.indicators checks the targets and writes."""

from django import forms

from yunwei.cmdb.models import Item
from yunwei.core import scoping

from .forms import RecordForm, manageable_units
from .models import Check, Indicator


class IndicatorForm(RecordForm):
    """An indicator of an item the user manages: its name, the checks that count (none: all the item's)
    and its targets, each optional."""

    class Meta:
        model = Indicator
        fields = [
            "item",
            "name",
            "checks",
            "availability_target",
            "latency_target_ms",
            "cert_days_target",
            "backup_age_target_hours",
            "backup_success_target",
        ]
        widgets = {"checks": forms.SelectMultiple(attrs={"size": 6})}

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        units = manageable_units(user)
        self.fields["item"].queryset = scoping.visible(Item.objects.filter(unit__in=units), user).order_by(
            "code"
        )
        self.fields["checks"].queryset = scoping.visible(Check.objects.filter(unit__in=units), user).order_by(
            "name"
        )
        self.fields["checks"].required = False
