"""Forms of the incident pages; validation here, decisions in services."""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.core import scoping
from yunwei.core.forms import BootstrapFormMixin
from yunwei.org.models import Person, Unit, VendorEngineer

from .choices import Cause, EscalationMode, Grade, ImpactScope
from .models import Drill, EmergencyPlan
from .services import CLOCK_SLACK


def reportable_units(user):
    access = scoping.access_of(user)
    if access.is_group_admin:
        return Unit.objects.all()
    return Unit.objects.filter(Q(pk=access.unit_id) | Q(pk__in=access.admin_unit_ids))


class ReportForm(BootstrapFormMixin, forms.Form):
    """“Report a fault” for every user: pick the application from the unit's list."""

    application = forms.ModelChoiceField(label=_("Affected application"), queryset=Item.objects.none())
    title = forms.CharField(label=_("What is wrong?"), max_length=200)
    description = forms.CharField(
        label=_("Details"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    impact_scope = forms.ChoiceField(label=_("Who is affected?"), choices=ImpactScope.choices)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = Item.objects.filter(
            unit__in=reportable_units(user), domain="application"
        ).order_by("unit__code", "name")


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
