import django_filters
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yunwei.org.models import Team, Unit

from .choices import Cause, ClosedAs, Grade, SignalSource, SignalState, Source, State
from .models import Drill, Incident, Signal, counted_q


def breached_q(now) -> Q:
    """SLA missed or already late: acknowledged or restored after its deadline, or still not by now. A
    false alarm misses nothing: it is left out of compliance (docs/correlation.md)."""
    return (
        Q(acknowledged_at__isnull=True, acknowledge_due_at__lt=now)
        | Q(acknowledged_at__gt=F("acknowledge_due_at"))
        | Q(restored_at__isnull=True, restore_due_at__lt=now)
        | Q(restored_at__gt=F("restore_due_at"))
    ) & counted_q()


class IncidentFilter(django_filters.FilterSet):
    """The incident list's filters, shared by the page and the API."""

    state = django_filters.ChoiceFilter(label=_("State"), choices=State.choices)
    grade = django_filters.ChoiceFilter(label=_("Grade"), choices=Grade.choices)
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=Unit.objects.all())
    cause = django_filters.ChoiceFilter(label=_("Cause"), field_name="cause_category", choices=Cause.choices)
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.all())
    reported_after = django_filters.DateFilter(
        label=_("Reported from"), field_name="reported_at", lookup_expr="date__gte"
    )
    reported_before = django_filters.DateFilter(
        label=_("Reported until"), field_name="reported_at", lookup_expr="date__lte"
    )
    breached = django_filters.BooleanFilter(label=_("SLA breached"), method="filter_breached")
    mine = django_filters.BooleanFilter(label=_("Assigned to me"), method="filter_mine")
    source = django_filters.ChoiceFilter(label=_("Opened by"), choices=Source.choices)
    false_alarm = django_filters.BooleanFilter(label=_("False alarms"), method="filter_false_alarm")

    class Meta:
        model = Incident
        fields = [
            "state",
            "grade",
            "unit",
            "cause",
            "team",
            "reported_after",
            "reported_before",
            "breached",
            "mine",
            "source",
            "false_alarm",
        ]

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none() if value else queryset
        return queryset.filter(assignee__account=user) if value else queryset.exclude(assignee__account=user)

    def filter_false_alarm(self, queryset, name, value):
        condition = Q(closed_as=ClosedAs.FALSE_ALARM)
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_breached(self, queryset, name, value):
        condition = breached_q(timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)


class SignalFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(label=_("Source"), choices=SignalSource.choices)
    state = django_filters.ChoiceFilter(label=_("State"), choices=SignalState.choices)
    suppressed = django_filters.BooleanFilter(
        label=_("Suppressed by a change"), field_name="suppressed_by", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Signal
        fields = ["source", "state", "item", "incident", "suppressed_by", "suppressed"]


class DrillFilter(django_filters.FilterSet):
    class Meta:
        model = Drill
        fields = ["unit", "plan", "state"]
