"""The problem lists' filters, shared by the pages and the API."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.org.models import Person, Unit

from .choices import Category, Nature, Origin, Priority, State
from .models import Problem
from .services import overdue_q


class ProblemFilter(django_filters.FilterSet):
    """Without `archived`, the list is the active problem database: archived problems are left out
    (Art. 16: verified problems leave it). `archived=true` searches the archive; `archived=false` is the
    active list, said explicitly."""

    state = django_filters.ChoiceFilter(label=_("State"), choices=State.choices)
    nature = django_filters.ChoiceFilter(label=_("Nature"), choices=Nature.choices)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Priority.choices)
    origin = django_filters.ChoiceFilter(label=_("Origin"), choices=Origin.choices)
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=Person.objects.all())
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=Unit.objects.all())
    item = django_filters.ModelChoiceFilter(
        label=_("Affected item"), field_name="affected_items", queryset=Item.objects.all()
    )
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")
    archived = django_filters.BooleanFilter(label=_("Archived"), method="filter_archived")

    class Meta:
        model = Problem
        fields = ["state", "nature", "category", "priority", "origin", "owner", "unit", "item", "overdue"]

    def filter_overdue(self, queryset, name, value):
        condition = overdue_q(timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_archived(self, queryset, name, value):
        return queryset.filter(state=State.ARCHIVED) if value else queryset.exclude(state=State.ARCHIVED)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("archived") is None:
            queryset = queryset.exclude(state=State.ARCHIVED)
        return queryset.distinct()
