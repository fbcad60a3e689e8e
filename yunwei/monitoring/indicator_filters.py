"""The indicator and breach lists' filters, shared by the pages and the API (Art. 3 (1))."""

import django_filters
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.org.choices import Domain
from yunwei.org.models import Unit

from .choices import IndicatorFigure
from .models import Indicator, IndicatorBreach


class IndicatorFilter(django_filters.FilterSet):
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=Unit.objects.all())
    item = django_filters.ModelChoiceFilter(label=_("Inventory item"), queryset=Item.objects.all())
    # "Per application": an application is an item of the application domain (Art. 2).
    domain = django_filters.ChoiceFilter(label=_("Domain"), field_name="item__domain", choices=Domain.choices)

    class Meta:
        model = Indicator
        fields = ["unit", "item", "domain"]


class BreachFilter(django_filters.FilterSet):
    unit = django_filters.ModelChoiceFilter(
        label=_("Unit"), field_name="indicator__unit", queryset=Unit.objects.all()
    )
    indicator = django_filters.ModelChoiceFilter(label=_("Indicator"), queryset=Indicator.objects.all())
    figure = django_filters.ChoiceFilter(label=_("Figure"), choices=IndicatorFigure.choices)
    day_after = django_filters.DateFilter(label=_("From"), field_name="day", lookup_expr="gte")
    day_before = django_filters.DateFilter(label=_("To"), field_name="day", lookup_expr="lte")

    class Meta:
        model = IndicatorBreach
        fields = ["unit", "indicator", "figure", "day_after", "day_before"]
