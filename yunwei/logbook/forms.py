"""Forms of the log-book pages: each offers only what the reader may see and hands its cleaned data to
`logbook.services`, which holds the rules."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.core import scoping
from yunwei.core.forms import BootstrapFormMixin
from yunwei.monitoring.models import Heartbeat
from yunwei.org.models import Person, Team, Unit
from yunwei.problems.services import group_unit_of

from .choices import DrillOutcome, EscalatedTo, LogKind, NoteKind, ReadingKind

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class PersonChoiceField(forms.ModelChoiceField):
    """A person by name and, when they have one, account: names repeat across a group."""

    def label_from_instance(self, person):
        return f"{person.name} · {person.account.username}" if person.account_id else person.name


def _people(unit):
    queryset = Person.objects.filter(unit_id__in={unit.pk, group_unit_of(unit).pk}, is_active=True)
    return queryset.select_related("account").order_by("name")


class EntryForm(BootstrapFormMixin, forms.Form):
    """What every entry asks: when it happened, and — for a signed month — what it corrects."""

    occurred_at = forms.DateTimeField(label=_("Happened at"), widget=LocalDateTimeInput())
    correction = forms.CharField(
        label=_("Corrects (only for a month already signed)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, unit, **kwargs):
        self.unit = unit
        super().__init__(*args, **kwargs)


class NoteForm(EntryForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=NoteKind.choices)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, unit=unit, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(unit=unit)


class BackupForm(EntryForm):
    heartbeat = forms.ModelChoiceField(
        label=_("Backup job it stands in for"), queryset=Heartbeat.objects.none(), required=False
    )
    subject = forms.CharField(label=_("What was backed up"), max_length=200)
    target = forms.CharField(label=_("Backed up to"), max_length=200)
    ended_at = forms.DateTimeField(label=_("Ended at"), widget=LocalDateTimeInput(), required=False)
    size = forms.IntegerField(label=_("Size (bytes)"), min_value=0, max_value=2**62, required=False)
    succeeded = forms.BooleanField(label=_("Succeeded"), required=False, initial=True)
    remarks = forms.CharField(label=_("Remarks"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, unit=unit, **kwargs)
        self.fields["heartbeat"].queryset = Heartbeat.objects.filter(unit=unit, kind="backup")


class DrillForm(EntryForm):
    subject = forms.CharField(label=_("What was restored"), max_length=200)
    restored_to = forms.CharField(label=_("Restored to"), max_length=200)
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1, max_value=100000)
    performed_by = PersonChoiceField(label=_("Restored by"), queryset=Person.objects.none())
    verified_by = PersonChoiceField(label=_("Verified by"), queryset=Person.objects.none())
    outcome = forms.ChoiceField(label=_("Outcome"), choices=DrillOutcome.choices)
    remarks = forms.CharField(label=_("Remarks"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, unit=unit, **kwargs)
        self.fields["performed_by"].queryset = _people(unit)
        self.fields["verified_by"].queryset = _people(unit)


ENTRY_FORMS = {"note": NoteForm, "backup": BackupForm, "drill": DrillForm}
# The fields an edit may change (services.EDITABLE), per kind of entry.
EDIT_FIELDS = {
    "note": ("occurred_at", "kind", "text", "team"),
    "backup": ("occurred_at", "subject", "target", "ended_at", "size", "succeeded", "remarks"),
    "drill": ("occurred_at", "subject", "restored_to", "duration_minutes", "outcome", "remarks"),
}


class TemplateForm(BootstrapFormMixin, forms.Form):
    """A round's checklist; each line of `checkpoints` is `name | kind | measured in | low | high`."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    name = forms.CharField(label=_("Name"), max_length=200)
    location = forms.ModelChoiceField(label=_("Room or rack"), queryset=Item.objects.none(), required=False)
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Due on"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    checkpoints = forms.CharField(
        label=_("Readings"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One a line: name | number, boolean or text | measured in | lower limit | upper limit"),
    )

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        units = scoping.visible(Unit.objects.all(), user)
        self.fields["unit"].queryset = units
        if editing:
            # A round stays in its unit; an edit says which version it was made on (a stale one: refused).
            del self.fields["unit"]
            self.fields["version"].required = True
        else:
            del self.fields["version"]
        self.fields["team"].queryset = scoping.visible(Team.objects.select_related("unit"), user)
        self.fields["location"].queryset = scoping.visible(Item.objects.all(), user).order_by("code")

    def clean_checkpoints(self):
        points = []
        for number, line in enumerate(self.cleaned_data["checkpoints"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")] + ["", "", "", ""]
            label, kind, unit_label, low, high = parts[:5]
            kind = kind or ReadingKind.NUMBER
            if kind not in ReadingKind.values:
                raise forms.ValidationError(
                    _("Line %(number)s: the kind is number, boolean or text.") % {"number": number}
                )
            try:
                limits = [float(v) if v else None for v in (low, high)]
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(number)s: a limit must be a number.") % {"number": number}
                ) from None
            points.append(
                {"label": label, "kind": kind, "unit_label": unit_label, "low": limits[0], "high": limits[1]}
            )
        return points


class RoundForm(BootstrapFormMixin, forms.Form):
    """The round on a phone: one field per checkpoint, the time it was walked, remarks."""

    occurred_at = forms.DateTimeField(label=_("Walked at"), widget=LocalDateTimeInput())
    remarks = forms.CharField(label=_("Remarks"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    correction = forms.CharField(label=_("Corrects (only for a month already signed)"), required=False)

    def __init__(self, *args, template, **kwargs):
        super().__init__(*args, **kwargs)
        self.checkpoints = list(template.current_checkpoints())
        for point in self.checkpoints:
            label = f"{point.label}" + (f" ({point.unit_label})" if point.unit_label else "")
            if point.kind == ReadingKind.BOOLEAN:
                field = forms.ChoiceField(label=label, choices=[("yes", _("Yes")), ("no", _("No"))])
            else:
                field = forms.CharField(label=label, max_length=200)
                if point.kind == ReadingKind.NUMBER:
                    field.widget.attrs["inputmode"] = "decimal"
                    limits = [
                        f"≥ {point.low:g}" if point.low is not None else "",
                        f"≤ {point.high:g}" if point.high is not None else "",
                    ]
                    field.help_text = " ".join(x for x in limits if x)
            self.fields[f"cp_{point.pk}"] = field
        for name in [f"cp_{p.pk}" for p in self.checkpoints]:
            self.fields[name].widget.attrs["class"] = "form-control form-control-lg"
        for name in ("remarks", "correction"):
            self.fields[name] = self.fields.pop(name)

    def readings(self) -> dict:
        return {p.pk: self.cleaned_data.get(f"cp_{p.pk}") for p in self.checkpoints}

    def field_for(self, name):
        return None if name == "readings" else name


class ConfirmForm(forms.Form):
    log = forms.ChoiceField(choices=LogKind.choices)
    month = forms.CharField()


class FindingForm(BootstrapFormMixin, forms.Form):
    month = forms.CharField(widget=forms.HiddenInput)
    log = forms.ChoiceField(label=_("Log"), choices=LogKind.choices)
    text = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 2}))


class SignForm(BootstrapFormMixin, forms.Form):
    month = forms.CharField(widget=forms.HiddenInput)
    password = forms.CharField(label=_("Your password"), required=False, widget=forms.PasswordInput)
    otp = forms.CharField(label=_("Or the one-time code"), required=False, max_length=10)


class RectifyForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    owner = PersonChoiceField(label=_("Owner"), queryset=Person.objects.none())
    deadline = forms.DateField(
        label=_("Deadline"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people(unit)
        self.fields["deadline"].initial = datetime.date.today() + datetime.timedelta(days=14)


class TransitionForm(BootstrapFormMixin, forms.Form):
    to = forms.CharField(widget=forms.HiddenInput)
    result = forms.CharField(
        label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EscalateForm(forms.Form):
    to = forms.ChoiceField(choices=EscalatedTo.choices)


class AttachForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("File"))
