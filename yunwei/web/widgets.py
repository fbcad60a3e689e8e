"""Form widgets shared by the pages."""

from django import forms
from django.utils.translation import gettext_lazy as _


class FilterableSelectMultiple(forms.SelectMultiple):
    """A multiple select with a search box above it (web/select-filter.js): inventory items and people
    run to hundreds, too many to scroll through."""

    def __init__(self, attrs=None):
        super().__init__({"size": 8, "data-filterable": "", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-filter-placeholder"] = str(_("Type to filter…"))
        return context
