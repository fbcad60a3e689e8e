"""REST API of change management: thin views over scoped querysets and changes.services (Art. 17–18)."""

import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from yunwei.cmdb.models import Item
from yunwei.core import scoping
from yunwei.core.api import RecordViewSet, ScopedPrimaryKeyRelatedField, VersionField, WorkflowViewSet
from yunwei.notify.models import Delivery
from yunwei.org.api import WritableUnitField
from yunwei.org.models import Unit

from . import approvals, recurring, schedule, services
from .choices import ApprovalScope, Decision, Risk, State
from .filters import ChangeFilter, MaintenanceWindowFilter
from .models import (
    Approval,
    Change,
    ChangeEvent,
    ChangeTemplate,
    FreezePeriod,
    MaintenanceWindow,
    RecurringWindow,
)

CALENDAR_MAX_DAYS = 93


class HandleableUnitField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        return schedule.handleable_units(request.user if request else None)


class ChangeEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeEvent
        fields = ["id", "at", "actor", "actor_name", "kind", "from_state", "to_state", "comment", "data"]


class ChangeApprovalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Approval
        fields = [
            "id",
            "scope",
            "round",
            "approver",
            "approver_name",
            "on_behalf_of_name",
            "role",
            "decision",
            "at",
            "comment",
            "window_start",
            "window_end",
        ]


class ChangeDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = ["id", "event_key", "unit_id", "recipient_kind", "state", "attempts", "sent_at"]


class BlastRadiusSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Items touched: the affected ones and those depending on them")
    applications = serializers.ListField(child=serializers.DictField())
    units = serializers.ListField(child=serializers.DictField())
    detail = serializers.ListField(child=serializers.DictField())


class ChangeSerializer(serializers.ModelSerializer):
    unit = HandleableUnitField()
    code = serializers.CharField(read_only=True)
    affected_items = ScopedPrimaryKeyRelatedField(queryset=Item.objects.all(), many=True, required=False)
    template = serializers.PrimaryKeyRelatedField(
        queryset=ChangeTemplate.objects.filter(is_active=True), required=False, allow_null=True
    )
    attribute_changes = serializers.JSONField(
        required=False, help_text="List of {item, attribute | field, value}, applied when completed"
    )
    risk = serializers.ChoiceField(
        choices=Risk.choices,
        required=False,
        allow_null=True,
        help_text="Override of the computed risk (needs risk_override_reason); null follows the computed one",
    )
    version = VersionField()
    approval_overdue = serializers.SerializerMethodField()
    awaiting_approval = serializers.BooleanField(
        read_only=True, help_text="An emergency change carried out before its approval came in"
    )
    awaiting_rollback = serializers.BooleanField(
        read_only=True,
        help_text="An emergency change whose approval was refused after the fact, not yet rolled back "
        "and without the leader in charge's exception",
    )
    allowed_transitions = serializers.SerializerMethodField()
    may_decide = serializers.SerializerMethodField()
    needed_approvals = serializers.SerializerMethodField()
    blast_radius = serializers.SerializerMethodField()
    window_conflicts = serializers.SerializerMethodField(
        help_text="The freeze periods and collisions the change's window falls into (scheduling there "
        "needs the leader in charge's approval), told from the draft on"
    )

    class Meta:
        model = Change
        fields = [
            "id",
            "code",
            "unit",
            "title",
            "change_type",
            "kind",
            "template",
            "affected_items",
            "reason",
            "implementation_plan",
            "test_plan",
            "rollback_plan",
            "planned_start",
            "planned_end",
            "service_impact",
            "computed_risk",
            "risk",
            "risk_override_reason",
            "attribute_changes",
            "state",
            "requester",
            "approval_round",
            "approval_due_at",
            "approval_overdue",
            "awaiting_approval",
            "submitted_at",
            "approved_at",
            "approval_refused",
            "awaiting_rollback",
            "exception_at",
            "exception_by",
            "exception_reason",
            "implemented_at",
            "finished_at",
            "verification_result",
            "rollback_note",
            "failure_note",
            "review",
            "reviewed_at",
            "inventory_applied_at",
            "requested_start",
            "requested_end",
            "blast_radius",
            "window_conflicts",
            "needed_approvals",
            "allowed_transitions",
            "may_decide",
            "version",
        ]
        read_only_fields = [
            "computed_risk",
            "state",
            "requester",
            "approval_round",
            "approval_due_at",
            "submitted_at",
            "approved_at",
            "approval_refused",
            "exception_at",
            "exception_by",
            "exception_reason",
            "implemented_at",
            "finished_at",
            "verification_result",
            "rollback_note",
            "failure_note",
            "review",
            "reviewed_at",
            "inventory_applied_at",
            "requested_start",
            "requested_end",
        ]
        extra_kwargs = {"change_type": {"required": False}, "reason": {"required": False}}

    def _user(self):
        request = self.context.get("request")
        return request.user if request else None

    def get_approval_overdue(self, change) -> bool:
        return change.approval_overdue(timezone.now())

    def get_allowed_transitions(self, change) -> list[str]:
        return services.allowed_targets(change, self._user())

    def get_may_decide(self, change) -> bool:
        return services.may_decide(change, self._user())

    def get_needed_approvals(self, change) -> list[str]:
        return [str(role) for role in services.needed_approvals(change)]

    @extend_schema(responses=BlastRadiusSerializer)
    def get_blast_radius(self, change) -> dict:
        return schedule.radius_summary(change, self._user())

    def get_window_conflicts(self, change) -> list[str]:
        return services.window_conflicts(change, self._user())


class ChangeListSerializer(ChangeSerializer):
    """A page of changes, without the blast radius and the window's conflicts: a walk of the inventory
    and of the calendar per change, which each change's own address answers."""

    blast_radius = None
    window_conflicts = None

    class Meta(ChangeSerializer.Meta):
        fields = [
            name for name in ChangeSerializer.Meta.fields if name not in ("blast_radius", "window_conflicts")
        ]


class ChangeDetailSerializer(ChangeSerializer):
    events = ChangeEventSerializer(many=True, read_only=True)
    approvals = ChangeApprovalSerializer(many=True, read_only=True)
    deliveries = serializers.SerializerMethodField()
    refused_transitions = serializers.SerializerMethodField(
        help_text="Of allowed_transitions, the steps a rule refuses now, each with its reasons"
    )

    class Meta(ChangeSerializer.Meta):
        fields = [
            *ChangeSerializer.Meta.fields,
            "refused_transitions",
            "events",
            "approvals",
            "deliveries",
        ]

    def get_refused_transitions(self, change) -> dict[str, list[str]]:
        user = self._user()
        refused = {}
        for to in services.allowed_targets(change, user):
            reasons = services.step_refusals(change, to, user)
            if reasons:
                refused[to] = reasons
        return refused

    def get_deliveries(self, change) -> list[dict]:
        rows = Delivery.objects.filter(event_key__startswith=f"change:{change.pk}:")
        return ChangeDeliverySerializer(rows.order_by("pk"), many=True).data


class ChangeTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=State.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    version = VersionField()
    verification_result = serializers.CharField(required=False, allow_blank=True)
    rollback_note = serializers.CharField(required=False, allow_blank=True)
    failure_note = serializers.CharField(required=False, allow_blank=True)
    review = serializers.CharField(required=False, allow_blank=True)


class ChangeDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    scope = serializers.ChoiceField(choices=ApprovalScope.choices, default=ApprovalScope.CHANGE)


class ChangeExceptionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    version = VersionField()


class ChangeRescheduleSerializer(serializers.Serializer):
    planned_start = serializers.DateTimeField()
    planned_end = serializers.DateTimeField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeCalendarQuerySerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="From (date or date-time)")
    end = serializers.DateTimeField(help_text="Until, at most 93 days after the start")

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end must be after the start.")]})
        if attrs["end"] - attrs["start"] > datetime.timedelta(days=CALENDAR_MAX_DAYS):
            raise serializers.ValidationError(
                {"end": [_("At most %(days)s days at a time.") % {"days": CALENDAR_MAX_DAYS}]}
            )
        return attrs


class FreezePeriodSerializer(serializers.ModelSerializer):
    units = ScopedPrimaryKeyRelatedField(
        queryset=Unit.objects.all(), many=True, required=False, help_text="Empty: the whole group"
    )
    version = VersionField()

    class Meta:
        model = FreezePeriod
        fields = ["id", "starts_at", "ends_at", "reason", "units", "created_by", "version"]
        read_only_fields = ["created_by"]


class ChangeCalendarEntrySerializer(serializers.ModelSerializer):
    code = serializers.CharField(read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    collides_with = serializers.SerializerMethodField()

    class Meta:
        model = Change
        fields = [
            "id",
            "code",
            "title",
            "unit",
            "unit_name",
            "state",
            "kind",
            "risk",
            "service_impact",
            "planned_start",
            "planned_end",
            "collides_with",
        ]

    def get_collides_with(self, change) -> list[int]:
        return self.context["collisions"].get(change.pk, [])


class ChangeCalendarSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    changes = ChangeCalendarEntrySerializer(many=True)
    freezes = FreezePeriodSerializer(many=True)


class ChangeViewSet(WorkflowViewSet):
    """Changes of Art. 17–18: requested and carried out by the unit's system staff, approved by the
    system management lead (and the leader in charge for risky ones). Content is edited only before
    approval; only a draft never submitted is deleted."""

    queryset = Change.objects.select_related("unit", "template").prefetch_related("affected_items")
    filterset_class = ChangeFilter
    search_fields = ["title", "reason", "implementation_plan"]
    ordering_fields = ["id", "created_at", "planned_start", "risk", "state"]
    serializer_class = ChangeSerializer
    detail_serializer_class = ChangeDetailSerializer
    list_serializer_class = ChangeListSerializer
    service = services

    def create_record(self, data):
        return services.create_change(actor=self.request.user, **data)

    def update_record(self, change, data, version):
        for name in ("unit", "kind", "template"):  # fixed when the change is requested
            data.pop(name, None)
        if "risk" in data and data["risk"] is None:
            data["risk"] = ""  # null: back to the computed risk
        return services.update_change(change, actor=self.request.user, expected_version=version, **data)

    def perform_destroy(self, instance):
        services.delete_change(instance, actor=self.request.user)

    @extend_schema(request=ChangeTransitionSerializer, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the change along the flow; 409 with the reason when the flow forbids the step. From
        submitted, `approved` / `rejected` is the caller's approval decision."""
        return self.transition_answer(ChangeTransitionSerializer)

    @extend_schema(request=ChangeDecisionSerializer, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Approve or reject the change (scope `change`) or its scheduling into a freeze or collision
        (scope `schedule`); a rejection needs the comment. A deputy (职务代理) reaches the changes waiting
        for the approver they stand in for."""
        change = get_object_or_404(approvals.decidable(Change.objects.all(), request.user), pk=pk)
        return self.detail_answer(
            services.decide(change, actor=request.user, **self.action_input(ChangeDecisionSerializer))
        )

    @extend_schema(request=ChangeExceptionSerializer, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def exception(self, request, pk=None):
        """The leader in charge lets an emergency change whose approval was refused after the fact stand
        instead of rolling it back; the comment (its reason) is required (Art. 18)."""
        change = self.get_object()
        data = self.action_input(ChangeExceptionSerializer)
        return self.detail_answer(
            services.record_exception(
                change, actor=request.user, comment=data["comment"], expected_version=data.get("version")
            )
        )

    @extend_schema(request=ChangeRescheduleSerializer, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        """Give an approved or scheduled change a new window. A scheduled change's new window in a freeze
        or a collision the leader has not approved is only requested (`requested_start`/`requested_end`):
        the leader's approval with `decide` scope `schedule` moves the change there."""
        change = self.get_object()
        return self.detail_answer(
            services.reschedule(change, actor=request.user, **self.action_input(ChangeRescheduleSerializer))
        )

    @extend_schema(request=None, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"], url_path="apply-inventory")
    def apply_inventory(self, request, pk=None):
        """Write the completed change's inventory updates to the items (their history names the change)."""
        return self.detail_answer(services.apply_inventory(self.get_object(), actor=request.user))

    @extend_schema(
        parameters=[
            OpenApiParameter("start", datetime.datetime, required=True),
            OpenApiParameter("end", datetime.datetime, required=True),
        ],
        responses=ChangeCalendarSerializer,
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def calendar(self, request):
        """Scheduled and implementing changes in the range with their windows and collisions, and the
        freeze periods; only what the caller may see."""
        query = ChangeCalendarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        data = schedule.calendar(request.user, start, end)
        context = {**self.get_serializer_context(), "collisions": data["collisions"]}
        body = {
            "start": start,
            "end": end,
            "changes": ChangeCalendarEntrySerializer(data["changes"], many=True, context=context).data,
            "freezes": FreezePeriodSerializer(data["freezes"], many=True, context=context).data,
        }
        return Response(body)


class ChangeTemplateSerializer(serializers.ModelSerializer):
    version = VersionField()

    class Meta:
        model = ChangeTemplate
        fields = [
            "id",
            "name",
            "change_type",
            "description",
            "implementation_plan",
            "test_plan",
            "rollback_plan",
            "service_impact",
            "is_active",
            "version",
        ]


class TemplateViewSet(RecordViewSet):
    """The group's pre-approved standard changes: every account reads them; group admins manage them."""

    queryset = ChangeTemplate.objects.all()
    serializer_class = ChangeTemplateSerializer
    service = services
    filterset_fields = ["change_type", "is_active"]
    search_fields = ["name", "description"]

    def get_queryset(self):
        return self.queryset.all()


class FreezeViewSet(RecordViewSet):
    """Freeze periods: declared by group admins; a unit sees the whole group's and its own."""

    queryset = FreezePeriod.objects.prefetch_related("units")
    serializer_class = FreezePeriodSerializer
    service = services
    search_fields = ["reason"]
    ordering_fields = ["starts_at", "id"]

    def get_queryset(self):
        return schedule.visible_freezes(self.queryset.all(), self.request.user)


class RecurringWindowSerializer(serializers.ModelSerializer):
    unit = WritableUnitField()
    items = ScopedPrimaryKeyRelatedField(queryset=Item.objects.all(), many=True, required=False)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        help_text="ISO weekdays: 1 Monday … 7 Sunday",
    )
    version = VersionField()

    class Meta:
        model = RecurringWindow
        fields = [
            "id",
            "unit",
            "name",
            "items",
            "weekdays",
            "start_time",
            "duration_minutes",
            "time_zone",
            "starts_on",
            "ends_on",
            "created_by",
            "version",
        ]
        read_only_fields = ["created_by"]


class RecurringWindowViewSet(RecordViewSet):
    """Recurring maintenance windows of a unit, in their own time zone: monitoring holds back the items'
    alerts inside each occurrence and evaluates again those still failing when it ends."""

    queryset = RecurringWindow.objects.prefetch_related("items")
    serializer_class = RecurringWindowSerializer
    service = recurring
    search_fields = ["name"]
    ordering_fields = ["name", "id"]


class MaintenanceWindowSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)

    class Meta:
        model = MaintenanceWindow
        fields = ["id", "change", "item", "item_code", "starts_at", "ends_at"]


class MaintenanceWindowViewSet(viewsets.ReadOnlyModelViewSet):
    """The maintenance windows changes opened: monitoring holds back the items' alerts inside them."""

    queryset = MaintenanceWindow.objects.select_related("item")
    serializer_class = MaintenanceWindowSerializer
    filterset_class = MaintenanceWindowFilter
    ordering_fields = ["starts_at", "id"]

    def get_queryset(self):
        changes = scoping.visible(Change.objects.all(), self.request.user)
        return self.queryset.filter(change__in=changes.values("pk"))
