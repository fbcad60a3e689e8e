"""REST API of fault handling: thin views over scoped querysets and incidents.services (Art. 12–13)."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from yunwei.cmdb.models import Item
from yunwei.core.api import (
    RecordViewSet,
    ScopedPrimaryKeyRelatedField,
    ScopedViewSet,
    VersionField,
    WorkflowViewSet,
)
from yunwei.notify.models import Delivery
from yunwei.org.api import WritableUnitField
from yunwei.org.models import Person, Team, VendorEngineer

from . import services
from .choices import Cause, EscalationMode, EventKind, Grade, NoticeKind, State
from .filters import DrillFilter, IncidentFilter, SignalFilter
from .models import (
    ChecklistItem,
    CorrelationSettings,
    Drill,
    EmergencyPlan,
    GradingRule,
    Incident,
    IncidentEvent,
    Notice,
    Signal,
    SlaTarget,
    VendorEscalation,
)
from .services import correlation
from .services.suspects import correlation_settings


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentEvent
        fields = ["id", "at", "actor", "actor_name", "kind", "from_state", "to_state", "comment", "data"]


class ChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = [
            "id",
            "kind",
            "position",
            "text",
            "role",
            "expected_minutes",
            "done_by",
            "done_at",
            "passed",
            "note",
        ]


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = ["id", "kind", "event_key", "subject", "body", "sent_by", "sent_at"]


class EscalationSerializer(serializers.ModelSerializer):
    class Meta:
        model = VendorEscalation
        fields = ["id", "contract", "engineer", "mode", "contacted_at", "arrived_at", "note"]


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = ["id", "event_key", "recipient_kind", "state", "attempts", "last_error", "sent_at"]


class TimersSerializer(serializers.Serializer):
    to_acknowledge = serializers.DurationField(allow_null=True)
    to_restore = serializers.DurationField(allow_null=True)
    total = serializers.DurationField()
    per_state = serializers.DictField(child=serializers.DurationField())
    acknowledge_breached = serializers.BooleanField()
    restore_breached = serializers.BooleanField()


def _user(field):
    request = field.context.get("request")
    return request.user if request else None


class ReportUnitField(serializers.PrimaryKeyRelatedField):
    """The unit a fault is reported for: the reporter's own, or one they handle."""

    def get_queryset(self):
        return services.reportable_units(_user(self))


class ReporterVisibleItemField(serializers.PrimaryKeyRelatedField):
    """Affected items: any item of a unit the reporter may report for (a user picks the application from
    a list, though the inventory itself is staff-only); the service checks they are the incident's unit's."""

    def get_queryset(self):
        return Item.objects.filter(unit__in=services.reportable_units(_user(self)))


class IncidentSerializer(serializers.ModelSerializer):
    unit = ReportUnitField()
    code = serializers.CharField(read_only=True)
    affected_items = ReporterVisibleItemField(many=True, required=False)
    assignee = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    team = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    started_at = serializers.DateTimeField(required=False)
    version = VersionField()
    allowed_transitions = serializers.SerializerMethodField()
    timers = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "code",
            "unit",
            "title",
            "description",
            "affected_items",
            "impact_scope",
            "started_at",
            "reported_at",
            "cause_category",
            "cause_detail",
            "grade",
            "grade_reason",
            "grade_manual",
            "proposed_grade",
            "proposed_grade_reason",
            "assignee",
            "team",
            "state",
            "reporter",
            "plan",
            "resolution_summary",
            "fixed_for_good",
            "acknowledged_at",
            "restored_at",
            "closed_at",
            "acknowledge_due_at",
            "restore_due_at",
            "source",
            "closed_as",
            "false_alarm_reason",
            "merged_into",
            "follows",
            "suspected_changes",
            "allowed_transitions",
            "timers",
            "version",
        ]
        read_only_fields = [
            "reported_at",
            "grade",
            "grade_reason",
            "grade_manual",
            "proposed_grade",
            "proposed_grade_reason",
            "state",
            "reporter",
            "plan",
            "resolution_summary",
            "fixed_for_good",
            "acknowledged_at",
            "restored_at",
            "closed_at",
            "acknowledge_due_at",
            "restore_due_at",
            "source",
            "closed_as",
            "false_alarm_reason",
            "merged_into",
            "follows",
            "suspected_changes",
        ]

    def get_allowed_transitions(self, incident) -> list[str]:
        request = self.context.get("request")
        return services.allowed_targets(incident, request.user if request else None)

    def get_timers(self, incident) -> dict:
        # The view prefetches the timeline the timers read (TIMER_EVENTS); a list page then costs one
        # query for its timers instead of one per row.
        events = getattr(incident, "timer_events", None)
        if not hasattr(self, "_timers_serializer"):  # one for the whole page: its fields are built once
            self._timers_serializer = TimersSerializer()
        return self._timers_serializer.to_representation(services.timers(incident, events=events))


class SignalSerializer(serializers.ModelSerializer):
    """A monitoring signal (read only: monitoring writes them through `yunwei.incidents.signals`)."""

    item_code = serializers.CharField(source="item.code", read_only=True)

    class Meta:
        model = Signal
        fields = [
            "id",
            "source",
            "key",
            "item",
            "item_code",
            "unit",
            "summary",
            "state",
            "first_at",
            "last_at",
            "resolved_at",
            "repeats",
            "stale",
            "incident",
            "folded_under",
            "suppressed_by",
            "held_by_window",
        ]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    events = EventSerializer(many=True, read_only=True)
    merged = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    signal_count = serializers.SerializerMethodField()
    checklist = ChecklistItemSerializer(many=True, read_only=True)
    notices = NoticeSerializer(many=True, read_only=True)
    escalations = EscalationSerializer(many=True, read_only=True)
    deliveries = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "events",
            "checklist",
            "notices",
            "escalations",
            "deliveries",
            "merged",
            "signal_count",
        ]

    def get_signal_count(self, incident) -> int:
        """How many signals the incident holds; `GET …/{id}/signals/` lists them, paged."""
        return incident.signals.count()

    def get_deliveries(self, incident) -> list[dict]:
        rows = Delivery.objects.filter(
            unit_id=incident.unit_id, event_key__startswith=f"incident:{incident.pk}:"
        )
        return DeliverySerializer(rows.order_by("pk"), many=True).data


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=State.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    version = VersionField()
    assignee = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    team = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    cause_category = serializers.ChoiceField(choices=Cause.choices, required=False)
    cause_detail = serializers.CharField(required=False, allow_blank=True)
    resolution_summary = serializers.CharField(required=False, allow_blank=True)
    fixed_for_good = serializers.BooleanField(required=False, allow_null=True)
    false_alarm_reason = serializers.CharField(required=False, allow_blank=True)


class AssignSerializer(serializers.Serializer):
    """Assign the incident to a person (empty: unassign), or with `to_me` to the caller."""

    assignee = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    to_me = serializers.BooleanField(default=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    # Who handles it is an update: a reassignment must not overwrite another one unseen.
    version = VersionField(required=True)


class TickSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    passed = serializers.BooleanField(default=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class GradeSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(choices=Grade.choices)
    reason = serializers.CharField(max_length=300)


class GradeDecisionSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class NoticeRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[
            (NoticeKind.SUSPENSION.value, NoticeKind.SUSPENSION.label),
            (NoticeKind.LEADER_REPORT.value, NoticeKind.LEADER_REPORT.label),
        ]
    )


class PlanRequestSerializer(serializers.Serializer):
    cause_category = serializers.ChoiceField(choices=Cause.choices, required=False)
    plan = serializers.PrimaryKeyRelatedField(
        queryset=EmergencyPlan.objects.filter(is_active=True), required=False, allow_null=True
    )


class ReplacePlanSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    cause_category = serializers.ChoiceField(choices=Cause.choices, required=False)
    plan = serializers.PrimaryKeyRelatedField(
        queryset=EmergencyPlan.objects.filter(is_active=True), required=False, allow_null=True
    )


class EscalateSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=EscalationMode.choices)
    engineer = ScopedPrimaryKeyRelatedField(
        queryset=VendorEngineer.objects.all(), required=False, allow_null=True
    )
    contacted_at = serializers.DateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ArrivalSerializer(serializers.Serializer):
    escalation = serializers.IntegerField()
    arrived_at = serializers.DateTimeField(required=False)


# The entries services.timers() reads, in its order: prefetched for a page of incidents at once.
TIMER_EVENTS = Prefetch(
    "events",
    queryset=IncidentEvent.objects.filter(kind__in=[EventKind.REPORTED, EventKind.TRANSITION])
    .order_by("at", "id")
    .only("incident_id", "at", "to_state"),
    to_attr="timer_events",
)
# The API names affected items by id: their other columns are not read.
AFFECTED_ITEM_IDS = Prefetch("affected_items", queryset=Item.objects.only("id"))


class IncidentViewSet(WorkflowViewSet):
    """Incidents: anyone reports one for their unit; the unit's staff edit it and move it along the flow.
    Incidents are never deleted."""

    queryset = Incident.objects.select_related("unit").prefetch_related(AFFECTED_ITEM_IDS, TIMER_EVENTS)
    serializer_class = IncidentSerializer
    detail_serializer_class = IncidentDetailSerializer
    service = services
    filterset_class = IncidentFilter
    search_fields = ["title", "description"]
    ordering_fields = ["id", "reported_at", "started_at", "grade", "state"]

    def create_record(self, data):
        return services.report(actor=self.request.user, **data)

    def update_record(self, incident, data, version):
        data.pop("unit", None)
        return services.update_details(incident, actor=self.request.user, expected_version=version, **data)

    @extend_schema(request=TransitionSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the incident along the flow; 409 with the reason when the flow forbids the step."""
        return self.transition_answer(TransitionSerializer)

    @extend_schema(responses=SignalSerializer(many=True), operation_id="incidents_signals_of_incident")
    @action(detail=True, methods=["get"])
    def signals(self, request, pk=None):
        """The monitoring signals folded into the incident, with their times and recoveries, paged."""
        incident = self.get_object()
        rows = Signal.objects.filter(incident=incident).order_by("first_at", "pk")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SignalSerializer(page, many=True).data)

    @extend_schema(request=AssignSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign, reassign or take the incident (`to_me`); on the timeline; 409 with the reason."""
        incident = self.get_object()
        data = self.action_input(AssignSerializer)
        incident = services.assign(
            incident,
            actor=request.user,
            assignee=data.get("assignee"),
            to_me=data["to_me"],
            comment=data["comment"],
            expected_version=data.get("version"),
        )
        return self.detail_answer(incident)

    @extend_schema(request=TickSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def tick(self, request, pk=None):
        incident = self.get_object()
        data = self.action_input(TickSerializer)
        item = incident.checklist.filter(pk=data["item"]).first()
        if item is None:
            raise exceptions.ValidationError({"item": ["No such checklist item on this incident."]})
        services.tick(item, actor=request.user, passed=data["passed"], note=data["note"])
        return self.detail_answer(incident)

    @extend_schema(request=GradeSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def grade(self, request, pk=None):
        incident = self.get_object()
        data = self.action_input(GradeSerializer)
        return self.detail_answer(services.set_grade(incident, actor=request.user, **data))

    @extend_schema(request=GradeSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="grade-proposal")
    def grade_proposal(self, request, pk=None):
        """Propose a lower grade to the system management lead (Art. 12), with the reason."""
        incident = self.get_object()
        data = self.action_input(GradeSerializer)
        return self.detail_answer(services.propose_grade(incident, actor=request.user, **data))

    @extend_schema(request=GradeDecisionSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="grade-decision")
    def grade_decision(self, request, pk=None):
        """The system management lead accepts or refuses the proposed lower grade (Art. 12)."""
        incident = self.get_object()
        data = self.action_input(GradeDecisionSerializer)
        return self.detail_answer(services.decide_grade(incident, actor=request.user, **data))

    @extend_schema(request=NoticeRequestSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def notice(self, request, pk=None):
        incident = self.get_object()
        services.send_notice(incident, self.action_input(NoticeRequestSerializer)["kind"], actor=request.user)
        return self.detail_answer(incident)

    @extend_schema(request=PlanRequestSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="activate-plan")
    def activate_plan(self, request, pk=None):
        incident = self.get_object()
        data = self.action_input(PlanRequestSerializer)
        incident = services.activate_plan(
            incident, actor=request.user, plan=data.get("plan"), cause_category=data.get("cause_category", "")
        )
        return self.detail_answer(incident)

    @extend_schema(request=ReplacePlanSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="replace-plan")
    def replace_plan(self, request, pk=None):
        """Replace a plan activated by mistake by the right one, with the reason (both on the timeline)."""
        incident = self.get_object()
        data = self.action_input(ReplacePlanSerializer)
        incident = services.replace_plan(
            incident,
            actor=request.user,
            reason=data["reason"],
            plan=data.get("plan"),
            cause_category=data.get("cause_category", ""),
        )
        return self.detail_answer(incident)

    @extend_schema(request=EscalateSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        incident = self.get_object()
        services.escalate(incident, actor=request.user, **self.action_input(EscalateSerializer))
        return self.detail_answer(incident)

    @extend_schema(request=ArrivalSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def arrival(self, request, pk=None):
        incident = self.get_object()
        data = self.action_input(ArrivalSerializer)
        escalation = incident.escalations.filter(pk=data["escalation"]).first()
        if escalation is None:
            raise exceptions.ValidationError({"escalation": ["No such escalation on this incident."]})
        services.record_arrival(escalation, actor=request.user, arrived_at=data.get("arrived_at"))
        return self.detail_answer(incident)


class PlanSerializer(serializers.ModelSerializer):
    steps = serializers.JSONField(required=False, help_text="List of {text, role, minutes}")
    notice_templates = serializers.JSONField(required=False)
    verification = serializers.JSONField(required=False, help_text="List of texts")
    version = VersionField()

    class Meta:
        model = EmergencyPlan
        validators = []
        fields = [
            "id",
            "code",
            "title",
            "grade",
            "cause_category",
            "revision",
            "is_active",
            "suspend_service",
            "steps",
            "notice_templates",
            "verification",
            "description",
            "version",
        ]
        read_only_fields = ["revision"]


class CatalogueViewSet(RecordViewSet):
    """The group's plans, matrix and SLA targets: every account reads them; group admins change them."""

    service = services

    def get_queryset(self):
        return self.queryset.all()


class PlanViewSet(CatalogueViewSet):
    queryset = EmergencyPlan.objects.all()
    serializer_class = PlanSerializer
    filterset_fields = ["grade", "cause_category", "is_active"]
    search_fields = ["code", "title"]


class GradingRuleSerializer(serializers.ModelSerializer):
    version = VersionField()

    class Meta:
        model = GradingRule
        validators = []
        fields = ["id", "impact_scope", "min_duration_minutes", "grade", "version"]


class GradingRuleViewSet(CatalogueViewSet):
    queryset = GradingRule.objects.all()
    serializer_class = GradingRuleSerializer


class SlaTargetSerializer(serializers.ModelSerializer):
    version = VersionField()

    class Meta:
        model = SlaTarget
        validators = []
        fields = ["id", "grade", "acknowledge_minutes", "restore_minutes", "version"]


class SlaTargetViewSet(CatalogueViewSet):
    queryset = SlaTarget.objects.all()
    serializer_class = SlaTargetSerializer


class DrillSerializer(serializers.ModelSerializer):
    unit = WritableUnitField()
    code = serializers.CharField(read_only=True)
    plan = serializers.PrimaryKeyRelatedField(queryset=EmergencyPlan.objects.all())
    participants = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), many=True, required=False)
    step_timings = serializers.JSONField(required=False, help_text="List of {step, minutes}")
    plan_revision = serializers.IntegerField(
        source="plan_revision.revision",
        read_only=True,
        allow_null=True,
        help_text="The plan version the drill rehearses, fixed when it is scheduled",
    )
    version = VersionField()

    class Meta:
        model = Drill
        fields = [
            "id",
            "code",
            "unit",
            "plan",
            "plan_revision",
            "scheduled_for",
            "participants",
            "step_timings",
            "findings",
            "state",
            "version",
        ]


class DrillViewSet(RecordViewSet):
    queryset = Drill.objects.select_related("plan", "plan_revision").prefetch_related("participants")
    serializer_class = DrillSerializer
    service = services
    filterset_class = DrillFilter
    search_fields = ["findings", "plan__title"]
    ordering_fields = ["id", "scheduled_for"]


class SignalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Monitoring's signals, read only, scoped by their item's unit: each with its incident, the signal it
    folded under and the change whose window held it back (docs/correlation.md)."""

    queryset = Signal.objects.select_related("item")
    serializer_class = SignalSerializer
    filterset_class = SignalFilter
    search_fields = ["key", "summary"]
    ordering_fields = ["id", "first_at", "last_at"]


class CorrelationSettingsSerializer(serializers.ModelSerializer):
    version = VersionField()

    class Meta:
        model = CorrelationSettings
        fields = ["fold_window_minutes", "suspect_hours", "version"]


class CorrelationSettingsView(APIView):
    """The group's correlation settings: everyone signed in reads them; a group system admin sets them."""

    @extend_schema(responses=CorrelationSettingsSerializer)
    def get(self, request):
        return Response(CorrelationSettingsSerializer(correlation_settings()).data)

    @extend_schema(request=CorrelationSettingsSerializer, responses=CorrelationSettingsSerializer)
    def put(self, request):
        serializer = CorrelationSettingsSerializer(correlation_settings(), data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        row = correlation.update_settings(actor=request.user, expected_version=version, **data)
        return Response(CorrelationSettingsSerializer(row).data)
