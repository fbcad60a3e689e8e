import datetime

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yunwei.core.filters import DaysFilter

from .choices import REQUIRED_UNIT_ROLES, UnitKind
from .models import MaintenanceContract, Person, RoleAssignment, Team, Unit, Vendor, VendorEngineer


class UnitFilter(django_filters.FilterSet):
    flagged = django_filters.BooleanFilter(method="filter_flagged", label=_("Lacks a role Art. 10 requires"))

    class Meta:
        model = Unit
        fields = ["kind", "parent", "is_active"]

    def filter_flagged(self, queryset, name, value):
        lacking = Q()
        for role in REQUIRED_UNIT_ROLES:
            lacking |= Q(**{f"n_{role.value}": 0})
        flagged = Q(kind=UnitKind.UNIT) & lacking
        return queryset.with_staffing().filter(flagged if value else ~flagged)


class TeamFilter(django_filters.FilterSet):
    domain = django_filters.CharFilter(field_name="domains", lookup_expr="icontains")

    class Meta:
        model = Team
        fields = ["unit"]


class PersonFilter(django_filters.FilterSet):
    role = django_filters.CharFilter(field_name="role_assignments__role", distinct=True)
    has_account = django_filters.BooleanFilter(field_name="account", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Person
        fields = ["unit", "team", "is_active"]


class VendorFilter(django_filters.FilterSet):
    class Meta:
        model = Vendor
        fields = ["unit"]


class VendorEngineerFilter(django_filters.FilterSet):
    class Meta:
        model = VendorEngineer
        fields = ["vendor"]


class ContractFilter(django_filters.FilterSet):
    expiring_within = DaysFilter(method="filter_expiring", label=_("Ends within N days"))

    class Meta:
        model = MaintenanceContract
        fields = ["unit", "vendor"]

    def filter_expiring(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(ends_on__gte=today, ends_on__lte=today + datetime.timedelta(days=int(value)))


class RoleAssignmentFilter(django_filters.FilterSet):
    class Meta:
        model = RoleAssignment
        fields = ["unit", "person", "role"]
