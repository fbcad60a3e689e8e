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


class RecordForm(BootstrapFormMixin, forms.ModelForm):
    """A heartbeat's or a check's form: input only; the service checks the record and writes it, so the
    model's own validation is skipped, and an edit carries the version it read."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        if self.instance.pk:
            self.initial["version"] = self.instance.version
        else:
            del self.fields["version"]

    def _post_clean(self):
        # The service checks the record (schedule, zone, spec, unit of the item) with field-named messages.
        pass

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data

    @property
    def expected_version(self):
        return self.cleaned_data.get("version")


class HeartbeatForm(RecordForm):
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


class CheckForm(RecordForm):
    """An active check: its item (and so its unit), probe, spec (JSON, fields in docs/probes.md) and
    damping; the service reads the spec as the probe does and names a bad field."""

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
            "window_failures",
            "window",
            "flap_threshold",
            "flap_window",
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
        self.fields["reference"].queryset = references.exclude(pk=self.instance.pk).order_by("name")
