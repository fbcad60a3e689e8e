"""Forms of the monitoring pages: input checks only; services.py decides and writes."""

from django import forms

from yunwei.cmdb.models import Item
from yunwei.core import scoping
from yunwei.core.forms import BootstrapFormMixin
from yunwei.org.models import Unit

from . import services
from .models import Heartbeat


def manageable_units(user):
    """The units whose heartbeats `user` may manage, as the service decides."""
    units = scoping.visible(Unit.objects.all(), user)
    return units.filter(
        pk__in=[pk for pk in units.values_list("pk", flat=True) if services.may_manage(user, pk)]
    )


class HeartbeatForm(BootstrapFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    class Meta:
        model = Heartbeat
        fields = [
            "unit",
            "item",
            "name",
            "kind",
            "schedule_kind",
            "period",
            "grace",
            "cron_expression",
            "tz",
            "min_run_time",
            "min_size",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["unit"].queryset = manageable_units(user)
        self.fields["item"].queryset = scoping.visible(Item.objects.all(), user).order_by("code")
        if self.instance.pk:
            self.initial["version"] = self.instance.version
        else:
            del self.fields["version"]

    def _post_clean(self):
        # The service checks the record (schedule, zone, unit of the item) with field-named messages.
        pass

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data

    @property
    def expected_version(self):
        return self.cleaned_data.get("version")
