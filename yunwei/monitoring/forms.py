"""Forms of the monitoring pages: input checks only; services.py decides and writes."""

from django import forms

from yunwei.cmdb.models import Item
from yunwei.core import scoping
from yunwei.core.forms import BootstrapFormMixin
from yunwei.org.models import Unit

from . import services
from .models import Check, Heartbeat


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


class CheckForm(BootstrapFormMixin, forms.ModelForm):
    """An active check: its item (and so its unit), probe, spec (JSON, fields in docs/probes.md) and
    damping; the service reads the spec as the probe does and names a bad field."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    class Meta:
        model = Check
        fields = [
            "item",
            "name",
            "kind",
            "spec",
            "interval",
            "retry_interval",
            "fail_after",
            "recover_after",
            "is_reference",
            "reference",
        ]
        widgets = {"spec": forms.Textarea(attrs={"rows": 4, "class": "font-monospace"})}

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        units = manageable_units(user)
        self.fields["item"].queryset = scoping.visible(Item.objects.filter(unit__in=units), user).order_by(
            "code"
        )
        references = scoping.visible(Check.objects.filter(is_reference=True), user)
        if self.instance.pk:
            references = references.exclude(pk=self.instance.pk)
            self.initial["version"] = self.instance.version
        else:
            del self.fields["version"]
        self.fields["reference"].queryset = references.order_by("name")

    def _post_clean(self):
        pass

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data

    @property
    def expected_version(self):
        return self.cleaned_data.get("version")
