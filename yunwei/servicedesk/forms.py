"""Forms of the service desk's pages; validation here, decisions in services."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.core import uploads
from yunwei.core.forms import BootstrapFormMixin
from yunwei.org.models import Person

from .choices import Action, Actor, FieldKind, Kind, Priority, State
from .fields import Upload
from .models import RequestType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RequestForm(BootstrapFormMixin, forms.Form):
    """A request of a type: its title and description, then the type's own fields."""

    title = forms.CharField(label=_("In a few words"), max_length=200)
    description = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, request_type: RequestType, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        for spec in request_type.fields or []:
            self.fields[f"f_{spec['name']}"] = self._field(spec, unit)
        for field in self.fields.values():
            widget = field.widget
            if "class" not in widget.attrs:
                css = "form-select" if isinstance(widget, forms.Select) else "form-control"
                widget.attrs["class"] = css

    @staticmethod
    def _field(spec: dict, unit) -> forms.Field:
        label, required = spec["label"], spec["required"]
        kind = spec["kind"]
        if kind == FieldKind.TEXTAREA:
            return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": 3}))
        if kind == FieldKind.CHOICE:
            return forms.ChoiceField(
                label=label, required=required, choices=[("", "—"), *[(c, c) for c in spec["choices"]]]
            )
        if kind == FieldKind.DATE:
            return forms.CharField(label=label, required=required, widget=DATE)
        if kind in (FieldKind.PERSON, FieldKind.ITEM):
            model = Person if kind == FieldKind.PERSON else Item
            rows = model.objects.filter(unit=unit).order_by("name").values_list("pk", "name")[:500]
            return forms.ChoiceField(
                label=label, required=required, choices=[("", "—"), *[(str(pk), name) for pk, name in rows]]
            )
        if kind == FieldKind.ATTACHMENT:
            accept = ",".join(f".{t}" for t in spec["types"])
            help_text = _("At most %(kb)s KB; %(types)s") % {
                "kb": spec["max_kb"],
                "types": ", ".join(spec["types"]),
            }
            return forms.FileField(
                label=label,
                required=required,
                help_text=help_text,
                widget=forms.ClearableFileInput(attrs={"accept": accept}),
            )
        return forms.CharField(label=label, required=required, max_length=200)

    def field_for(self, name: str | None) -> str | None:
        if name in ("title", "description") or name is None:
            return name
        return f"f_{name}"

    def values(self) -> tuple[dict, dict]:
        data, files = {}, {}
        for spec in self.request_type.fields or []:
            value = self.cleaned_data.get(f"f_{spec['name']}")
            if spec["kind"] == FieldKind.ATTACHMENT:
                if value:
                    # Size and type refused by what the upload knows, before it is read into memory.
                    uploads.check_file(
                        value,
                        field=spec["name"],
                        label=spec["label"],
                        max_bytes=spec["max_kb"] * 1024,
                        types=spec["types"],
                        limit_text=f"{spec['max_kb']} KB",
                    )
                    files[spec["name"]] = Upload(value.name, getattr(value, "content_type", ""), value.read())
            else:
                data[spec["name"]] = value or ""
        return data, files


class StepForm(forms.Form):
    to = forms.ChoiceField(choices=State.choices)
    comment = forms.CharField(required=False)
    priority = forms.ChoiceField(required=False, choices=[("", "—"), *Priority.choices])
    target_release = forms.CharField(required=False, max_length=60)
    duplicate_of = forms.IntegerField(required=False, min_value=1)
    version = forms.IntegerField(required=False, min_value=1)


class TextForm(forms.Form):
    text = forms.CharField(max_length=5000)


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(coerce=int, choices=[(n, n) for n in range(1, 6)])
    comment = forms.CharField(required=False, max_length=2000)


class KnownErrorForm(forms.Form):
    problem = forms.IntegerField(required=False, min_value=1)
    title = forms.CharField(required=False, max_length=200)
    workaround = forms.CharField(required=False, max_length=5000)


class JSONListField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 6, "class": "font-monospace"})

    def prepare_value(self, value):
        return value if isinstance(value, str) else json.dumps(value or [], ensure_ascii=False, indent=1)

    def clean(self, value):
        value = super().clean(value)
        try:
            parsed = json.loads(value or "[]")
        except ValueError:
            raise forms.ValidationError(_("Write a JSON list.")) from None
        if not isinstance(parsed, list):
            raise forms.ValidationError(_("Write a JSON list."))
        return parsed


class TypeForm(BootstrapFormMixin, forms.ModelForm):
    fields_json = JSONListField(label=_("Form fields (JSON)"), required=False)
    approvers_json = JSONListField(label=_("Approvers in order (JSON)"), required=False)
    hold_json = JSONListField(label=_("States that stop the clock (JSON)"), required=False)

    class Meta:
        model = RequestType
        fields = [
            "code",
            "name",
            "kind",
            "description",
            "performer",
            "action",
            "answer_minutes",
            "complete_minutes",
            "waiting_close_days",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        self.fields["kind"].choices = Kind.choices
        self.fields["performer"].choices = [("", "—"), *Actor.choices]
        self.fields["action"].choices = Action.choices
        self.initial.setdefault("fields_json", instance.fields if instance.pk else [])
        self.initial.setdefault("approvers_json", instance.approvers if instance.pk else [])
        self.initial.setdefault("hold_json", instance.hold_states if instance.pk else ["waiting_requester"])

    def field_for(self, name):
        return {"fields": "fields_json", "approvers": "approvers_json", "hold_states": "hold_json"}.get(
            name, name
        )

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["fields"] = self.cleaned_data["fields_json"]
        data["approvers"] = self.cleaned_data["approvers_json"]
        data["hold_states"] = self.cleaned_data["hold_json"]
        return data


class CalendarImportForm(forms.Form):
    file = forms.FileField(label=_("CSV of the State Council's notice"))


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    kind = forms.ChoiceField(
        label=_("Day"),
        choices=[
            ("holiday", _("Holiday")),
            ("workday", _("Make-up working day")),
            ("normal", _("As the week says")),
        ],
    )
    name = forms.CharField(label=_("Name"), required=False, max_length=60)


class TemplateForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}))
