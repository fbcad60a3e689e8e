"""Form helpers shared by every app's pages."""

from django import forms
from django.utils.translation import gettext_lazy as _


class BootstrapFormMixin:
    """Gives every widget Bootstrap's classes, and marks fields with errors invalid after cleaning."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        # Validation runs here, not in __init__, so subclasses can narrow choices before it.
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class FilterableSelectMultiple(forms.SelectMultiple):
    """A multiple select with a search box above it (web/select-filter.js): inventory items and people
    run to hundreds, too many to scroll through."""

    def __init__(self, attrs=None):
        super().__init__({"size": 8, "data-filterable": "", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-filter-placeholder"] = str(_("Type to filter…"))
        return context
