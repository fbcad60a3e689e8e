"""Filter fields shared by every app's lists, and the filter form of a list page made ready to show."""

import django_filters
from django import forms
from django.forms import ModelChoiceField, NullBooleanSelect
from django.utils.translation import gettext_lazy as _

from . import scoping

# The largest key both SQLite and PostgreSQL store; larger numbers are refused as bad input (400)
# instead of reaching the database driver.
MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """A record's number (primary key or a copied one such as the audit log's actor)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class DaysFilter(django_filters.NumberFilter):
    """A number of days ahead, bounded to ten years."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 3650)
        super().__init__(*args, **kwargs)


def prepare_filter_form(form, user, *, unscoped=(), dates=()) -> None:
    """Bootstrap classes; "All" as the empty choice of every select; the choices of each related field
    limited to the records `user` sees, so no other unit's name shows in a list (`unscoped` names the
    shared ones, like the catalogue's types); `dates` get the browser's date picker."""
    for name, field in form.fields.items():
        if isinstance(field, ModelChoiceField):
            if name not in unscoped:
                field.queryset = scoping.visible(field.queryset, user)
            field.empty_label = _("All")
        elif isinstance(field.widget, NullBooleanSelect):
            field.widget.choices = [("", _("All")), ("true", _("Yes")), ("false", _("No"))]
        elif getattr(field, "choices", None):
            # django-filter's choice field adds its empty choice itself, through a widget bound to the
            # class's field: set the label, then the choices again, so this form's widget shows it.
            choices = [(value, label) for value, label in field.choices if value != ""]
            if hasattr(field, "empty_label"):
                field.empty_label = _("All")
            else:
                choices.insert(0, ("", _("All")))
            field.choices = choices
        field.widget.attrs["class"] = "form-select form-select-sm"
    for name in dates:
        form.fields[name].widget.input_type = "date"
        form.fields[name].widget.attrs["class"] = "form-control form-control-sm"


def is_id(text) -> bool:
    """A record number as text: digits only, within what the databases store (beyond it a query would
    fail in the driver, a 500, where bad input is a 400 or simply matches nothing)."""
    text = str(text)
    return text.isdigit() and int(text) <= MAX_ID
