import datetime

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yunwei.core.filters import DaysFilter
from yunwei.org.choices import Domain
from yunwei.org.models import Team, Unit, Vendor

from .choices import Criticality, ItemStatus
from .models import Item, ItemType, Relation


class ItemFilter(django_filters.FilterSet):
    """The item list's filters, shared by the page, the API and the export (DESIGN: same filters)."""

    domain = django_filters.ChoiceFilter(label=_("Domain"), choices=Domain.choices)
    type = django_filters.ModelChoiceFilter(label=_("Type"), queryset=ItemType.objects.all())
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=Unit.objects.all())
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ItemStatus.choices)
    criticality = django_filters.ChoiceFilter(label=_("Criticality"), choices=Criticality.choices)
    team = django_filters.ModelChoiceFilter(
        label=_("Owner team"), field_name="owner_team", queryset=Team.objects.all()
    )
    vendor = django_filters.ModelChoiceFilter(label=_("Vendor"), queryset=Vendor.objects.all())
    contract_expiring_within = DaysFilter(
        label=_("Contract ends within (days)"), method="filter_contract_expiring"
    )

    class Meta:
        model = Item
        fields = [
            "domain",
            "type",
            "unit",
            "status",
            "criticality",
            "team",
            "vendor",
            "contract_expiring_within",
        ]

    def filter_contract_expiring(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(
            contract__ends_on__gte=today, contract__ends_on__lte=today + datetime.timedelta(days=int(value))
        )


class RelationFilter(django_filters.FilterSet):
    class Meta:
        model = Relation
        fields = ["source", "target", "type", "unit"]


class ItemTypeFilter(django_filters.FilterSet):
    domain = django_filters.ChoiceFilter(choices=Domain.choices)

    class Meta:
        model = ItemType
        fields = ["domain"]
