"""Forms of the problem pages; validation here, decisions in services."""

import datetime

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.core import scoping
from yunwei.core.forms import BootstrapFormMixin, FilterableSelectMultiple
from yunwei.incidents.models import Incident
from yunwei.org.models import Person, Unit

from .choices import Category, Nature, Origin, Priority
from .models import Problem
from .services import owner_choices

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def handled_units(user):
    """Units whose problems `user` works on."""
    access = scoping.access_of(user)
    if access.is_group_admin or access.is_group_staff:
        return Unit.objects.all()
    return Unit.objects.filter(Q(pk__in=access.admin_unit_ids) | Q(pk__in=access.staff_unit_ids))


def _people(user):
    return scoping.visible(Person.objects.filter(is_active=True), user).select_related("unit", "account")


def person_label(person) -> str:
    """Name, unit and account: an owner acts through an account, so the admin sees who has one."""
    account = f" · {person.account.username}" if person.account_id else ""
    return f"{person.name} · {person.unit.name}{account}"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


class StepsField(forms.CharField):
    """The work plan typed as lines: “2025-06-30 replace the UPS batteries”."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "2025-06-30 …"})

    def clean(self, value):
        value = super().clean(value)
        steps = []
        for number, line in enumerate((value or "").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            date_part, _space, text = line.partition(" ")
            try:
                due_on = datetime.date.fromisoformat(date_part)
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)s: start with the due date (YYYY-MM-DD), then the step."),
                    params={"n": number},
                ) from None
            if not text.strip():
                raise forms.ValidationError(_("Line %(n)s: describe the step."), params={"n": number})
            steps.append({"text": text.strip(), "due_on": due_on})
        return steps


class ProblemForm(BootstrapFormMixin, forms.ModelForm):
    """Register a problem (from a hidden danger, or pre-filled from an incident) or edit one."""

    owner = PersonChoiceField(label=_("Owner"), queryset=Person.objects.none(), required=False)
    collaborators = PeopleChoiceField(
        label=_("Collaborators"), queryset=Person.objects.none(), required=False
    )
    steps = StepsField(
        label=_("Work plan"),
        required=False,
        help_text=_("One step a line: the due date (YYYY-MM-DD), a space, then the step."),
    )

    class Meta:
        model = Problem
        fields = [
            "unit",
            "title",
            "description",
            "origin",
            "nature",
            "category",
            "priority",
            "affected_items",
            "owner",
            "collaborators",
            "proposed_solution",
            "deadline",
            "workaround",
        ]
        widgets = {
            "affected_items": FilterableSelectMultiple(),
            "collaborators": FilterableSelectMultiple(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "proposed_solution": forms.Textarea(attrs={"rows": 3}),
            "workaround": forms.Textarea(attrs={"rows": 2}),
            "deadline": DATE,
        }

    def __init__(self, *args, user=None, incident: Incident | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        self.incident = incident
        units = handled_units(user)
        self.fields["unit"].queryset = units
        self.fields["owner"].queryset = _people(user)
        self.fields["collaborators"].queryset = _people(user)
        self.fields["affected_items"].queryset = scoping.visible(
            Item.objects.filter(unit__in=units), user
        ).order_by("unit__code", "code")
        self.fields["affected_items"].required = False
        self.fields["nature"].required = False
        self.fields["category"].required = False
        origins = [(o.value, o.label) for o in Origin if (o == Origin.INCIDENT) == (incident is not None)]
        self.fields["origin"].choices = origins
        if editing:
            for name in ("unit", "origin", "steps"):
                del self.fields[name]
        elif incident is not None:
            self.fields["unit"].disabled = True
            self.fields["origin"].disabled = True

    def clean(self):
        data = super().clean()
        if self.incident is not None:
            data["unit"] = self.incident.unit
            data["origin"] = Origin.INCIDENT
        return data


def incident_initial(incident: Incident) -> dict:
    """A problem form pre-filled from an incident not fixed for good (Art. 14)."""
    return {
        "unit": incident.unit_id,
        "title": incident.title,
        "description": "\n".join(
            part
            for part in (incident.description, incident.cause_detail, incident.resolution_summary)
            if part
        ),
        "affected_items": list(incident.affected_items.values_list("pk", flat=True)),
        "nature": Nature.UNRESOLVED_FAULT,
        "origin": Origin.INCIDENT,
    }


class TransitionForm(BootstrapFormMixin, forms.Form):
    """The fields a step of the flow may take; the target state itself is the POST's unprefixed `to`."""

    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *Category.choices], required=False)
    nature = forms.ChoiceField(label=_("Nature"), choices=[("", "—"), *Nature.choices], required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, required=False)
    owner = PersonChoiceField(label=_("Owner"), queryset=Person.objects.none(), required=False)
    collaborators = PeopleChoiceField(
        label=_("Collaborators"), queryset=Person.objects.none(), required=False
    )
    proposed_solution = forms.CharField(
        label=_("Proposed solution"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DATE)
    solution_summary = forms.CharField(
        label=_("Solution summary"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, problem: Problem, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        people = owner_choices(problem.unit).select_related("unit", "account")
        self.fields["owner"].queryset = people
        self.fields["collaborators"].queryset = people


class StepForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(label=_("Step"), max_length=500)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)


class LinkForm(BootstrapFormMixin, forms.Form):
    """An incident of the problem's unit, named by its number (INC000123, or 123): a unit may hold a
    million incidents, too many for a list. The most recent are suggested (`recent`)."""

    SUGGESTED = 20

    incident = forms.CharField(
        label=_("Incident"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"placeholder": "INC000123", "list": "link-incidents", "autocomplete": "off"}
        ),
    )

    def __init__(self, *args, problem: Problem, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = scoping.visible(Incident.objects.filter(unit_id=problem.unit_id), user).exclude(
            pk__in=problem.incidents.values("pk")
        )

    def recent(self) -> list[Incident]:
        return list(self.candidates.order_by("-reported_at", "-pk")[: self.SUGGESTED])

    def clean_incident(self) -> Incident:
        number = self.cleaned_data["incident"].strip().upper().removeprefix("INC")
        incident = self.candidates.filter(pk=int(number)).first() if number.isdigit() else None
        if incident is None:
            raise forms.ValidationError(
                _("No incident of the problem's unit, not yet linked, has this number.")
            )
        return incident


REGISTER = "register"


class CloseIncidentForm(BootstrapFormMixin, forms.Form):
    """Close a restored incident not fixed for good (Art. 14): the problem that explains it, or a new one
    registered from it in the same step."""

    resolution_summary = forms.CharField(
        label=_("Resolution summary"), widget=forms.Textarea(attrs={"rows": 2})
    )
    problem = forms.ChoiceField(label=_("Problem of the problem database"))
    comment = forms.CharField(label=_("Comment"), required=False)

    def __init__(self, *args, problems=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.problems = {str(problem.pk): problem for problem in problems}
        self.fields["problem"].choices = [
            (REGISTER, _("Register a new problem from this incident")),
            *((pk, f"{problem.code} {problem.title}") for pk, problem in self.problems.items()),
        ]

    def clean_problem(self):
        value = self.cleaned_data["problem"]
        return None if value == REGISTER else self.problems[value]


class PublishForm(BootstrapFormMixin, forms.Form):
    workaround = forms.CharField(label=_("Workaround"), widget=forms.Textarea(attrs={"rows": 2}))
