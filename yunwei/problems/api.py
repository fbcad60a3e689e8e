"""REST API of the problem database: thin views over scoped querysets and problems.services (Art. 14–16).

`GET /api/problems/` is the active problem database: archived problems are left out unless
`?archived=true` asks for the archive. Every problem, archived or not, stays readable at
`/api/problems/{id}/`.
"""

from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers
from rest_framework.decorators import action

from yunwei.cmdb.models import Item
from yunwei.core import scoping
from yunwei.core.api import ScopedPrimaryKeyRelatedField, VersionField, WorkflowViewSet
from yunwei.incidents.models import Incident
from yunwei.org.models import Person, Unit

from . import closing, services, tracking
from .choices import Category, Nature, Priority, State
from .filters import ProblemFilter
from .models import Problem, ProblemEvent, ProblemStep


class ProblemEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProblemEvent
        fields = ["id", "at", "actor", "actor_name", "kind", "from_state", "to_state", "comment", "data"]


class ProblemStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProblemStep
        fields = ["id", "position", "text", "due_on", "done_at", "done_by"]
        read_only_fields = ["position", "done_at", "done_by"]


class HandledUnitField(serializers.PrimaryKeyRelatedField):
    """The unit a problem is registered for: one whose problems the writer works on."""

    def get_queryset(self):
        request = self.context.get("request")
        access = scoping.access_of(request.user if request else None)
        if access.is_group_admin or access.is_group_staff:
            return Unit.objects.all()
        return Unit.objects.filter(Q(pk__in=access.admin_unit_ids) | Q(pk__in=access.staff_unit_ids))


class ProblemSerializer(serializers.ModelSerializer):
    unit = HandledUnitField()
    code = serializers.CharField(read_only=True)
    owner = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    collaborators = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), many=True, required=False)
    affected_items = ScopedPrimaryKeyRelatedField(queryset=Item.objects.all(), many=True, required=False)
    source_incident = ScopedPrimaryKeyRelatedField(
        queryset=Incident.objects.all(), required=False, allow_null=True
    )
    incidents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    steps = ProblemStepSerializer(many=True, required=False, help_text="The work plan: [{text, due_on}, …]")
    version = VersionField()
    is_known_error = serializers.BooleanField(read_only=True)
    overdue = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Problem
        fields = [
            "id",
            "code",
            "unit",
            "title",
            "description",
            "origin",
            "category",
            "nature",
            "priority",
            "owner",
            "collaborators",
            "proposed_solution",
            "steps",
            "deadline",
            "affected_items",
            "workaround",
            "is_known_error",
            "workaround_published_at",
            "source_incident",
            "incidents",
            "state",
            "solution_summary",
            "registered_by",
            "registered_at",
            "classified_at",
            "solved_at",
            "archived_at",
            "verified_by",
            "escalation_level",
            "overdue",
            "allowed_transitions",
            "version",
        ]
        read_only_fields = [
            "state",
            "solution_summary",
            "workaround_published_at",
            "registered_by",
            "registered_at",
            "classified_at",
            "solved_at",
            "archived_at",
            "verified_by",
            "escalation_level",
        ]

    def get_overdue(self, problem) -> bool:
        return services.is_overdue(problem)

    def get_allowed_transitions(self, problem) -> list[str]:
        request = self.context.get("request")
        return services.allowed_targets(problem, request.user if request else None)


class ProblemDetailSerializer(ProblemSerializer):
    events = ProblemEventSerializer(many=True, read_only=True)

    class Meta(ProblemSerializer.Meta):
        fields = [*ProblemSerializer.Meta.fields, "events"]


class ProblemTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=State.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    version = VersionField()
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    nature = serializers.ChoiceField(choices=Nature.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    owner = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    collaborators = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), many=True, required=False)
    proposed_solution = serializers.CharField(required=False, allow_blank=True)
    deadline = serializers.DateField(required=False, allow_null=True)
    solution_summary = serializers.CharField(required=False, allow_blank=True)


class ProblemStepInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=500)
    due_on = serializers.DateField()


class ProblemTickSerializer(serializers.Serializer):
    step = serializers.IntegerField()


class ProblemLinkSerializer(serializers.Serializer):
    incident = ScopedPrimaryKeyRelatedField(queryset=Incident.objects.all())


class CloseIncidentSerializer(serializers.Serializer):
    """Close a restored incident not fixed for good: linked to a problem, or to one registered from it."""

    resolution_summary = serializers.CharField()
    problem = ScopedPrimaryKeyRelatedField(
        queryset=Problem.objects.all(),
        required=False,
        allow_null=True,
        help_text="An active problem of the incident's unit that explains the fault",
    )
    register = serializers.BooleanField(
        default=False, help_text="Register a problem from the incident instead of naming one"
    )
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    version = VersionField(help_text="The incident's version, as read")


class ProblemPublishSerializer(serializers.Serializer):
    workaround = serializers.CharField(required=False, allow_blank=True)


class KnownErrorSerializer(serializers.ModelSerializer):
    code = serializers.CharField(read_only=True)

    class Meta:
        model = Problem
        fields = [
            "id",
            "code",
            "unit",
            "title",
            "state",
            "workaround",
            "workaround_published_at",
            "affected_items",
        ]


ARCHIVE_PARAMETER = OpenApiParameter(
    "archived",
    OpenApiTypes.BOOL,
    description="Absent: the active problem database (archived problems left out). true: the archive "
    "(verified problems, Art. 16). false: the active list.",
)


@extend_schema_view(list=extend_schema(parameters=[ARCHIVE_PARAMETER]))
class ProblemViewSet(WorkflowViewSet):
    """The problem database: the unit's system staff register problems; a group system admin classifies
    them; the owner solves them; another group system admin verifies and archives them. Never deleted."""

    queryset = Problem.objects.select_related("unit", "owner").prefetch_related(
        "collaborators", "affected_items", "incidents", "steps"
    )
    filterset_class = ProblemFilter
    search_fields = ["title", "description", "proposed_solution", "workaround", "solution_summary"]
    ordering_fields = ["id", "registered_at", "deadline", "priority", "state"]
    serializer_class = ProblemSerializer
    detail_serializer_class = ProblemDetailSerializer
    service = services

    def filter_queryset(self, queryset):
        # The list's filters (and its default of leaving archived problems out) apply to the list only:
        # an archived problem stays readable and actionable by its address.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def create_record(self, data):
        return services.register(actor=self.request.user, **data)

    def update_record(self, problem, data, version):
        if "unit" in data and data.pop("unit").pk != problem.unit_id:
            raise exceptions.ValidationError({"unit": ["A problem stays in its unit."]})
        if "source_incident" in data and data.pop("source_incident") != problem.source_incident:
            raise exceptions.ValidationError({"source_incident": ["The source incident cannot change."]})
        if "steps" in data:
            raise exceptions.ValidationError({"steps": ["Add steps with POST …/steps/."]})
        if "origin" in data and data.pop("origin") != problem.origin:
            raise exceptions.ValidationError({"origin": ["The origin cannot change."]})
        return services.update_details(problem, actor=self.request.user, expected_version=version, **data)

    @extend_schema(request=ProblemTransitionSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the problem along its flow; 409 with the reason when the flow forbids the step or the step
        lacks what it needs (classifying names every missing field of Art. 15)."""
        return self.transition_answer(ProblemTransitionSerializer)

    @extend_schema(request=ProblemStepInputSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        """Add a dated step to the work plan."""
        problem = self.get_object()
        services.add_step(problem, actor=request.user, **self.action_input(ProblemStepInputSerializer))
        return self.detail_answer(problem)

    @extend_schema(request=ProblemTickSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def tick(self, request, pk=None):
        """Tick a step of the work plan done."""
        problem = self.get_object()
        data = self.action_input(ProblemTickSerializer)
        step = problem.steps.filter(pk=data["step"]).first()
        if step is None:
            raise exceptions.ValidationError({"step": ["No such step in this problem's work plan."]})
        services.tick_step(step, actor=request.user)
        return self.detail_answer(problem)

    @extend_schema(request=ProblemLinkSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="link-incident")
    def link_incident(self, request, pk=None):
        """Link a further incident the problem explains."""
        problem = self.get_object()
        services.link_incident(
            problem, self.action_input(ProblemLinkSerializer)["incident"], actor=request.user
        )
        return self.detail_answer(problem)

    @extend_schema(request=ProblemPublishSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="publish-workaround")
    def publish_workaround(self, request, pk=None):
        """Publish the workaround as a known error (the given text, or the problem's own)."""
        problem = self.get_object()
        data = self.action_input(ProblemPublishSerializer)
        services.publish_workaround(problem, actor=request.user, workaround=data.get("workaround") or None)
        return self.detail_answer(problem)

    @extend_schema(request=CloseIncidentSerializer, responses=ProblemDetailSerializer)
    @action(
        detail=False,
        methods=["post"],
        url_path=r"close-incident/(?P<incident_pk>[0-9]+)",
        filterset_class=None,
    )
    def close_incident(self, request, incident_pk=None):
        """Close a restored incident not fixed for good (Art. 14), linked to the problem that explains it
        or to one registered from it in the same step; answers with that problem."""
        incident = get_object_or_404(scoping.visible(Incident.objects.all(), request.user), pk=incident_pk)
        data = self.action_input(CloseIncidentSerializer)
        problem = closing.close_incident(
            incident, actor=request.user, expected_version=data.pop("version", None), **data
        )
        return self.detail_answer(problem)

    @extend_schema(
        parameters=[
            OpenApiParameter("item", OpenApiTypes.INT, description="An inventory item's id"),
            OpenApiParameter(
                "incident", OpenApiTypes.INT, description="An incident's id: its affected items"
            ),
        ],
        responses=KnownErrorSerializer(many=True),
    )
    @action(detail=False, methods=["get"], url_path="known-errors", filterset_class=None)
    def known_errors(self, request):
        """Known errors: the published workarounds of active problems on an item, or on the items an
        incident touches."""
        item_ids = []
        for name, model in (("item", Item), ("incident", Incident)):
            raw = request.query_params.get(name)
            if raw is None:
                continue
            if not raw.isdigit():
                raise exceptions.ValidationError({name: ["A whole number is expected."]})
            found = scoping.visible(model.objects.filter(pk=int(raw)), request.user).first()
            if found is None:
                continue  # a record the caller cannot see has no known errors for them
            item_ids += (
                [found.pk] if model is Item else list(found.affected_items.values_list("pk", flat=True))
            )
        rows = services.known_errors(self.get_queryset(), item_ids)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(KnownErrorSerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM; default this month")],
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The month's problem-tracking log (Art. 5) as a workbook"
            )
        },
    )
    @action(detail=False, methods=["get"], url_path="log", filterset_class=None)
    def log(self, request):
        """The problem-tracking log of a month (Art. 5): every event of the problems the caller may see,
        in order, as an .xlsx workbook."""
        month = tracking.parse_month(request.query_params.get("month"))
        content = tracking.export_xlsx(tracking.log_events(request.user, month), month)
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="problem-log-{month:%Y-%m}.xlsx"'
        return response
