"""Forms of the incident pages; validation here, decisions in services."""

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.core import scoping
from yunwei.core.forms import BootstrapFormMixin
from yunwei.org.models import Person, Unit, VendorEngineer

from .choices import Cause, EscalationMode, Grade, ImpactScope
from .models import Drill, EmergencyPlan
from .services import CLOCK_SLACK, reportable_units


class ReportForm(BootstrapFormMixin, forms.Form):
    """“Report a fault” for every user: pick the application from the unit's list. Whoever handles
    several units first chooses the affected unit (their own by default); the applications offered are
    that unit's."""

    unit = forms.ModelChoiceField(
        label=_("Affected unit"), queryset=Unit.objects.none(), empty_label=None, required=False
    )
    application = forms.ModelChoiceField(label=_("Affected application"), queryset=Item.objects.none())
    title = forms.CharField(label=_("What is wrong?"), max_length=200)
    description = forms.CharField(
        label=_("Details"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    impact_scope = forms.ChoiceField(label=_("Who is affected?"), choices=ImpactScope.choices)
    started_at = forms.DateTimeField(
        label=_("When did it begin?"),
        required=False,
        help_text=_("Empty: now. The grade follows from how long the fault has lasted (Art. 12)."),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, user=None, unit=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = list(reportable_units(user))
        ids = [each.pk for each in units]
        own = scoping.access_of(user).unit_id
        chosen = self.data.get("unit") or unit
        chosen = int(chosen) if str(chosen or "").isdigit() and int(chosen) in ids else None
        chosen = chosen or (own if own in ids else (ids[0] if ids else None))
        self.fields["unit"].queryset = Unit.objects.filter(pk__in=ids).order_by("code")
        self.fields["unit"].initial = self.chosen_unit_id = chosen
        if len(units) < 2:
            self.fields["unit"].widget = forms.HiddenInput()
        else:
            # Choosing the unit reloads the form with that unit's applications (what was typed is kept).
            self.fields["unit"].widget.attrs.update(
                {
                    "hx-get": reverse("incidents:report"),
                    "hx-trigger": "change",
                    "hx-include": "closest form",
                    "hx-target": "closest form",
                    "hx-select": "[data-testid=report-form]",
                    "hx-swap": "outerHTML",
                }
            )
        self.fields["started_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        self.fields["application"].queryset = Item.objects.filter(
            unit_id=chosen, domain="application"
        ).order_by("name")

    def clean_unit(self):
        return (
            self.cleaned_data.get("unit")
            or self.fields["unit"].queryset.filter(pk=self.chosen_unit_id).first()
        )

    def clean_started_at(self):
        value = self.cleaned_data.get("started_at")
        if value is not None and value > timezone.now() + CLOCK_SLACK:
            raise forms.ValidationError(
                _("Art. 12: the fault's duration counts from when it began, which cannot lie in the future.")
            )
        return value


class TransitionForm(BootstrapFormMixin, forms.Form):
    to = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    cause_category = forms.ChoiceField(
        label=_("Preliminary cause"), choices=[("", "—"), *Cause.choices], required=False
    )
    cause_detail = forms.CharField(label=_("Cause detail"), required=False)
    resolution_summary = forms.CharField(
        label=_("Resolution summary"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    fixed_for_good = forms.NullBooleanField(
        label=_("Fixed for good?"),
        required=False,
        widget=forms.Select(choices=[("unknown", "—"), ("true", _("Yes")), ("false", _("No"))]),
    )
    false_alarm_reason = forms.CharField(
        label=_("Why it is a false alarm"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class GradeForm(BootstrapFormMixin, forms.Form):
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, grades=None, **kwargs):
        super().__init__(*args, **kwargs)
        if grades is not None:
            self.fields["grade"].choices = [(g.value, g.label) for g in grades]


def lower_grades(grade: str) -> list[Grade]:
    return [g for g in Grade if g.rank > Grade(grade).rank]


def grades_up_to(grade: str) -> list[Grade]:
    """The incident's grade and the more severe ones: what may be set without the system management lead."""
    return [g for g in Grade if g.rank <= Grade(grade).rank]


MOMENT_FORMAT = "%Y-%m-%dT%H:%M"


def _moment_field(label, help_text):
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        input_formats=[MOMENT_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=MOMENT_FORMAT),
    )


def _now_initial() -> str:
    return timezone.localtime().strftime(MOMENT_FORMAT)


def _not_future(value):
    if value is not None and value > timezone.now() + CLOCK_SLACK:
        raise forms.ValidationError(_("This moment lies in the future."))
    return value


class EscalateForm(BootstrapFormMixin, forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=EscalationMode.choices)
    engineer = forms.ModelChoiceField(
        label=_("Engineer"),
        queryset=VendorEngineer.objects.none(),
        required=False,
        help_text=_("Empty: the engineer of the affected item's maintenance contract."),
    )
    contacted_at = _moment_field(_("Contacted at"), _("Empty: now."))
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, unit=None, **kwargs):
        kwargs.setdefault("initial", {"contacted_at": _now_initial()})
        super().__init__(*args, **kwargs)
        # The unit's own vendors and the group's, whose contracts cover the units' items.
        units = [unit.pk, unit.parent_id] if unit is not None else []
        self.fields["engineer"].queryset = VendorEngineer.objects.filter(vendor__unit_id__in=units)

    def clean_contacted_at(self):
        return _not_future(self.cleaned_data.get("contacted_at"))


class ArrivalForm(BootstrapFormMixin, forms.Form):
    """The vendor engineer's arrival; the moment defaults to now and cannot precede the call."""

    arrived_at = _moment_field(_("Arrived at"), _("Empty: now."))

    def __init__(self, *args, escalation=None, **kwargs):
        kwargs.setdefault("initial", {"arrived_at": _now_initial()})
        super().__init__(*args, **kwargs)
        self.escalation = escalation

    def clean_arrived_at(self):
        value = _not_future(self.cleaned_data.get("arrived_at"))
        if value is None or self.escalation is None:
            return value
        # The input has whole minutes: an arrival typed in the minute of the call is taken as the call's
        # moment, not refused as earlier than it.
        contacted = self.escalation.contacted_at
        if value < contacted.replace(second=0, microsecond=0):
            raise forms.ValidationError(_("The engineer cannot arrive before being called."))
        return max(value, contacted)


class DrillForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Drill
        fields = ["unit", "plan", "scheduled_for", "participants"]
        widgets = {
            "scheduled_for": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoping.writable(Unit.objects.all(), user)
        self.fields["plan"].queryset = EmergencyPlan.objects.filter(is_active=True)
        self.fields["participants"].queryset = scoping.writable(Person.objects.all(), user)


class DrillResultForm(BootstrapFormMixin, forms.Form):
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}))
    timings = forms.CharField(
        label=_("Minutes per step"),
        required=False,
        help_text=_("One number per plan step, separated by commas."),
    )

    def clean_timings(self):
        raw = self.cleaned_data["timings"].replace("，", ",")
        try:
            return [float(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(_("Enter numbers separated by commas.")) from None


class CorrelationSettingsForm(BootstrapFormMixin, forms.Form):
    """The group's correlation settings (docs/correlation.md); read-only for all but a group admin."""

    fold_window_minutes = forms.IntegerField(
        label=_("Fold window (minutes)"),
        min_value=1,
        max_value=24 * 60,
        help_text=_(
            "A signal downstream of a failing item folds into its incident when it begins this close to it."
        ),
    )
    suspect_hours = forms.IntegerField(
        label=_("Changes suspected for (hours)"),
        min_value=0,
        max_value=30 * 24,
        help_text=_(
            "An incident on an item this soon after a change touched it names the change as suspected cause."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, editable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not editable:
            for field in self.fields.values():
                field.disabled = True
