"""Forms of the change pages; validation here, decisions in services (Art. 17–18)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.core import scoping
from yunwei.core.forms import BootstrapFormMixin, FilterableSelectMultiple
from yunwei.org.models import Unit

from . import schedule
from .choices import ApprovalScope, ChangeKind, ChangeType, Decision, Risk, ServiceImpact
from .models import ChangeTemplate, FreezePeriod
from .rules import ITEM_FIELDS

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _text(label, rows=3, required=False, help_text=""):
    return forms.CharField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}), help_text=help_text
    )


class ChangeForm(BootstrapFormMixin, forms.Form):
    """Request or edit a change. `unit`, `kind` and `template` are fixed once the change exists."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k.value, k.label) for k in (ChangeKind.NORMAL, ChangeKind.EMERGENCY)],
        initial=ChangeKind.NORMAL,
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    change_type = forms.ChoiceField(label=_("Type of change"), choices=ChangeType.choices)
    affected_items = forms.ModelMultipleChoiceField(
        label=_("Affected inventory items"),
        queryset=Item.objects.none(),
        required=False,
        widget=FilterableSelectMultiple(),
    )
    reason = _text(_("Reason"))
    implementation_plan = _text(_("Implementation plan"), rows=4)
    test_plan = _text(_("Test plan"))
    rollback_plan = _text(_("Rollback plan"), help_text=_("Required for a high-risk change or an outage."))
    planned_start = forms.DateTimeField(label=_("Planned start"), required=False, widget=DATETIME)
    planned_end = forms.DateTimeField(label=_("Planned end"), required=False, widget=DATETIME)
    service_impact = forms.ChoiceField(label=_("Service impact"), choices=ServiceImpact.choices)
    risk = forms.ChoiceField(
        label=_("Risk override"),
        choices=[("", _("As computed")), *Risk.choices],
        required=False,
        help_text=_("Leave as computed unless you give a reason."),
    )
    risk_override_reason = forms.CharField(
        label=_("Reason for overriding the risk"), max_length=300, required=False
    )
    attribute_changes = _text(
        _("Inventory updates"),
        rows=3,
        help_text=_("One per line: item code, attribute or field, new value — e.g. “SRV-01 memory_gb 64”."),
    )

    def __init__(self, *args, user=None, change=None, template=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.change = change
        self.template = template
        units = schedule.handleable_units(user)
        self.fields["unit"].queryset = units
        if len(units[:2]) == 1:
            self.fields["unit"].initial = units[0].pk
        self.fields["affected_items"].queryset = (
            scoping.visible(Item.objects.all(), user)
            .filter(unit__in=units)
            .select_related("unit")
            .order_by("unit__code", "code")
        )
        if change is not None or template is not None:
            del self.fields["kind"]
        if change is not None:
            del self.fields["unit"]
            self.fields["affected_items"].queryset = self.fields["affected_items"].queryset.filter(
                unit_id__in=[change.unit_id] if change.unit.kind != "group" else units.values("pk")
            )
        if template is not None or (change is not None and change.kind == ChangeKind.STANDARD):
            del self.fields["change_type"]

    @staticmethod
    def initial_from(change) -> dict:
        values = {
            name: getattr(change, name)
            for name in (
                "title",
                "change_type",
                "reason",
                "implementation_plan",
                "test_plan",
                "rollback_plan",
                "planned_start",
                "planned_end",
                "service_impact",
                "risk_override_reason",
            )
        }
        values["affected_items"] = list(change.affected_items.values_list("pk", flat=True))
        values["risk"] = change.risk if change.risk_override_reason else ""
        values["attribute_changes"] = "\n".join(
            f"{row['item_code']} {row.get('attribute') or row.get('field')} {row['value']}"
            for row in change.attribute_changes
        )
        return values

    def clean_attribute_changes(self):
        """Lines of “code name value” into {item, attribute | field, value}; the service checks them."""
        raw = self.cleaned_data.get("attribute_changes", "")
        items = {item.code: item for item in self.cleaned_data.get("affected_items") or []}
        rows = []
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.split(None, 2)
            if len(parts) < 3:
                raise forms.ValidationError(_("Line %(n)s: give item code, name and value.") % {"n": number})
            code, name, value = parts
            item = items.get(code)
            if item is None:
                raise forms.ValidationError(
                    _("Line %(n)s: “%(code)s” is not among the affected items.") % {"n": number, "code": code}
                )
            key = "attribute" if item.type.attribute(name) is not None or name not in ITEM_FIELDS else "field"
            rows.append({"item": item.pk, key: name, "value": value.strip()})
        return rows

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["risk"] = data.get("risk") or ""
        return data


class TransitionForm(BootstrapFormMixin, forms.Form):
    to = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    verification_result = _text(_("Verification result"), rows=2)
    rollback_note = _text(_("What was rolled back"), rows=2)
    failure_note = _text(_("Why it failed"), rows=2)
    review = _text(_("Post-implementation review"), rows=3)


class DecisionForm(BootstrapFormMixin, forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices)
    scope = forms.ChoiceField(
        choices=ApprovalScope.choices, initial=ApprovalScope.CHANGE, widget=forms.HiddenInput
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A rejection needs its reason."),
    )


class ExceptionForm(BootstrapFormMixin, forms.Form):
    comment = forms.CharField(
        label=_("Why the change stands"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("An exception needs its reason."),
    )


class RescheduleForm(BootstrapFormMixin, forms.Form):
    planned_start = forms.DateTimeField(label=_("New start"), widget=DATETIME)
    planned_end = forms.DateTimeField(label=_("New end"), widget=DATETIME)
    comment = forms.CharField(label=_("Comment"), required=False)


class TemplateForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = ChangeTemplate
        fields = [
            "name",
            "change_type",
            "description",
            "implementation_plan",
            "test_plan",
            "rollback_plan",
            "service_impact",
            "is_active",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("description", "implementation_plan", "test_plan", "rollback_plan")
        }


class FreezeForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = FreezePeriod
        fields = ["starts_at", "ends_at", "reason", "units"]
        widgets = {
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "units": forms.SelectMultiple(attrs={"size": 6}),
        }
        help_texts = {"units": _("None chosen: the whole group.")}


WEEKDAYS = [
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
]


class RecurringWindowForm(BootstrapFormMixin, forms.Form):
    """A recurring maintenance window of one unit the user manages, on that unit's items."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    name = forms.CharField(label=_("Name"), max_length=150)
    items = forms.ModelMultipleChoiceField(
        label=_("Items"), queryset=Item.objects.none(), widget=FilterableSelectMultiple()
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    start_time = forms.TimeField(label=_("Local start time"), widget=forms.TimeInput(attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1)
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        initial="Asia/Shanghai",
        help_text=_("An IANA name, e.g. Asia/Shanghai."),
    )
    starts_on = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: no end."),
    )

    def __init__(self, *args, user, instance=None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "unit": instance.unit_id,
                    "items": list(instance.items.values_list("pk", flat=True)),
                    **{name: getattr(instance, name) for name in ("name", "weekdays", "start_time")},
                    **{name: getattr(instance, name) for name in ("duration_minutes", "time_zone")},
                    **{name: getattr(instance, name) for name in ("starts_on", "ends_on")},
                },
            )
        super().__init__(*args, **kwargs)
        units = scoping.writable(Unit.objects.all(), user)
        self.fields["unit"].queryset = units
        self.fields["items"].queryset = (
            Item.objects.filter(unit__in=units).select_related("unit").order_by("code")
        )
        if instance is not None:
            self.fields["unit"].disabled = True
