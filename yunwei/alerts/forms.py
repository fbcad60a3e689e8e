"""Forms of the alert pages: input only; the services decide and write."""

import json

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.core import scoping
from yunwei.core.forms import BootstrapFormMixin
from yunwei.monitoring.forms import RecordForm
from yunwei.org.models import Unit

from . import services
from .models import Integration, MappingRule


def manageable_units(user):
    """The units whose integrations `user` may manage, as the service decides."""
    units = scoping.visible(Unit.objects.all(), user)
    return units.filter(
        pk__in=[pk for pk in units.values_list("pk", flat=True) if services.may_manage(user, pk)]
    )


class LabelListField(forms.CharField):
    """Label names, one per line or separated by commas."""

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value


class IntegrationForm(RecordForm):
    replica_labels = LabelListField(
        label=_("Replica labels to drop"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line: labels that differ only between redundant Prometheus servers."),
    )

    class Meta:
        model = Integration
        fields = [
            "unit",
            "kind",
            "name",
            "hmac_secret",
            "signature_required",
            "signature_window",
            "replica_labels",
            "repeat_interval",
            "stale_factor",
            "watchdog_alert",
            "expect_watchdog",
            "min_payloads",
            "quiet_after",
            "payload_retention_days",
            "description",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            # Never rendered back: an empty field on an edit keeps the stored secret.
            "hmac_secret": forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        }

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["unit"].queryset = manageable_units(user)
        if self.instance.pk:
            self.fields["unit"].disabled = True
            self.fields["kind"].disabled = True


class RuleForm(RecordForm):
    sample = forms.CharField(
        label=_("Sample labels (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "font-monospace"}),
        help_text=_(
            "The rule is tried on these labels; empty: the latest alert's labels, or the kind's sample."
        ),
    )

    class Meta:
        model = MappingRule
        fields = ["position", "label", "field"]

    def __init__(self, data=None, *, integration, **kwargs):
        super().__init__(data, **kwargs)
        self.integration = integration
        if not self.is_bound:
            self.initial.setdefault(
                "sample", json.dumps(services.sample_labels(integration), ensure_ascii=False, sort_keys=True)
            )

    def clean_sample(self):
        text = (self.cleaned_data.get("sample") or "").strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise forms.ValidationError(_("Give the labels as a JSON object.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Give the labels as a JSON object."))
        return {str(key): str(item) for key, item in value.items()}


class MapForm(BootstrapFormMixin, forms.Form):
    """The item of the alert's unit, named by its code: an inventory may be too long for a list. Items
    whose code, hostname or name holds the host of the alert's key are suggested (`suggestions`)."""

    SUGGESTED = 20

    item = forms.CharField(
        label=_("Inventory item"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"list": "map-items", "placeholder": _("Item code"), "autocomplete": "off"}
        ),
    )

    def __init__(self, data=None, *, user, unit_id, **kwargs):
        super().__init__(data, **kwargs)
        self.items = scoping.visible(Item.objects.filter(unit_id=unit_id), user).order_by("code")

    def suggestions(self, key_value: str) -> list[Item]:
        host = services.instance_host(key_value) if key_value else ""
        if host:
            looking_alike = Q(code__icontains=host) | Q(hostname__icontains=host) | Q(name__icontains=host)
            alike = list(self.items.filter(looking_alike)[: self.SUGGESTED])
            if alike:
                return alike
        return list(self.items[: self.SUGGESTED])

    def clean_item(self) -> Item:
        item = self.items.filter(code=self.cleaned_data["item"].strip()).first()
        if item is None:
            raise forms.ValidationError(_("The alert's unit has no item of this code."))
        return item
