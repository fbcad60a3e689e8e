"""REST API of the service desk: thin views over `services.visible()` and the services (Art. 9–10).

`GET /api/servicedesk/requests/?waiting=me` is the caller's queue; `?overdue=true`, `state`, `kind`,
`unit` filter. Attachments travel as base64 in `attachments: {field: {name, content_type, content}}`.
"""

import base64
import binascii

from django.core.exceptions import RequestDataTooBig
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from yunwei.core import calendar as work_calendar
from yunwei.core import scoping
from yunwei.core.api import RecordViewSet, VersionField, WorkflowViewSet
from yunwei.core.errors import DomainError
from yunwei.core.filters import MAX_ID, is_id
from yunwei.core.models import CalendarDay
from yunwei.core.schema import also_answers
from yunwei.org.models import Unit
from yunwei.problems.models import Problem

from . import queries, services, timers
from .choices import Priority, State
from .fields import Upload
from .models import ReplyTemplate, RequestEvent, RequestType, ServiceRequest


class RequestEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "kind",
            "from_state",
            "to_state",
            "comment",
            "internal",
            "data",
        ]


class RequestListSerializer(serializers.ModelSerializer):
    code = serializers.CharField(read_only=True)
    type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "code",
            "unit",
            "type",
            "kind",
            "title",
            "state",
            "waiting_on",
            "requester",
            "assignee",
            "submitted_at",
            "answer_due_at",
            "complete_due_at",
            "overdue",
            "rating",
            "version",
        ]

    def get_overdue(self, sr) -> bool:
        return timers.is_overdue(sr)


class AttachmentInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    content_type = serializers.CharField(max_length=100, required=False, default="")
    content = serializers.CharField(help_text="base64")


class RequestCreateSerializer(serializers.Serializer):
    type = serializers.SlugRelatedField(
        slug_field="code", queryset=RequestType.objects.filter(is_active=True)
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    values = serializers.DictField(required=False, default=dict)
    attachments = serializers.DictField(child=AttachmentInput(), required=False, default=dict)


class RequestDetailSerializer(RequestListSerializer):
    events = serializers.SerializerMethodField()
    change_state = serializers.SerializerMethodField()
    held_minutes_now = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()
    version = VersionField(read_only=True)

    class Meta(RequestListSerializer.Meta):
        fields = [
            *RequestListSerializer.Meta.fields,
            "description",
            "values",
            "priority",
            "target_release",
            "duplicate_of",
            "resolution",
            "change",
            "change_state",
            "incident",
            "known_error",
            "approval_step",
            "clock_started_at",
            "first_answered_at",
            "completed_at",
            "closed_at",
            "answer_working_minutes",
            "complete_working_minutes",
            "held_minutes_now",
            "escalation_level",
            "rating_comment",
            "allowed_transitions",
            "events",
        ]

    def _user(self):
        request = self.context.get("request")
        return request.user if request else None

    def get_events(self, sr) -> list[dict]:
        rows = sr.events.all()
        if not services.may_handle(sr, self._user()):
            rows = rows.filter(internal=False)  # the requester never sees internal notes
        return RequestEventSerializer(rows, many=True).data

    def get_change_state(self, sr) -> str | None:
        """The state of the change the requirement became (Art. 17), as its requester follows it."""
        return sr.change.state if sr.change_id else None

    def get_held_minutes_now(self, sr) -> float:
        return timers.held_now(sr)

    def get_allowed_transitions(self, sr) -> list[str]:
        return services.allowed_targets(sr, self._user())


class RequestTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=State.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    target_release = serializers.CharField(required=False, max_length=60)
    duplicate_of = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    version = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class RateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class RequestAssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class BulkAssignSerializer(RequestAssignSerializer):
    requests = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=500
    )


class KnownErrorSerializer(serializers.Serializer):
    problem = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    workaround = serializers.CharField(required=False, allow_blank=True, default="")


def _assignee(user, raw):
    if raw is None:
        return None
    found = queries.assignable_for(user).filter(pk=raw).first()
    if found is None:
        raise DomainError(_("Assign to the unit's or the group's staff."), field="assignee")
    return found


class RequestViewSet(WorkflowViewSet):
    """Service requests: made by users of their own unit; triaged, reviewed, approved and carried out by
    whoever the flow names; another unit's request is a 404."""

    queryset = ServiceRequest.objects.select_related("unit", "type")
    serializer_class = RequestCreateSerializer
    detail_serializer_class = RequestDetailSerializer
    list_serializer_class = RequestListSerializer
    service = services
    filterset_fields = ["state", "kind", "unit"]
    search_fields = ["title"]
    ordering_fields = ["id", "submitted_at", "complete_due_at"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        # Not scoping.visible alone: a unit's leader sees the requests whose approval may wait on them.
        rows = services.visible(self.queryset.all(), self.request.user).order_by("-submitted_at", "-id")
        query = self.request.query_params
        if query.get("waiting") == "me":
            rows = rows.filter(queries.waiting_q(self.request.user)).exclude(requester=self.request.user)
        if query.get("overdue") in ("true", "1"):
            rows = rows.filter(timers.overdue_q(timezone.now()))
        return rows

    @extend_schema(request=RequestCreateSerializer, responses={201: RequestDetailSerializer})
    def create(self, request, *args, **kwargs):
        try:
            data = self.action_input(RequestCreateSerializer)
        except RequestDataTooBig:
            raise DomainError(
                _("The request with its attachments is larger than the server takes."), field="attachments"
            ) from None
        files = {}
        for name, spec in data["attachments"].items():
            try:
                content = base64.b64decode(spec["content"], validate=True)
            except (binascii.Error, ValueError):
                raise DomainError(_("The content is not base64."), field=name) from None
            files[name] = Upload(spec["name"], spec.get("content_type", ""), content)
        created = services.submit(
            actor=request.user,
            request_type=data["type"],
            title=data["title"],
            description=data["description"],
            data=data["values"],
            files=files,
        )
        response = self.detail_answer(created)
        response.status_code = 201
        return response

    @extend_schema(request=RequestTransitionSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        sr = self.get_object()
        data = self.action_input(RequestTransitionSerializer)
        if "duplicate_of" in data:
            duplicate = self.get_queryset().filter(pk=data["duplicate_of"]).first()
            if duplicate is None:
                raise DomainError(_("No such request."), field="duplicate_of")
            data["duplicate_of"] = duplicate
        to, comment, version = data.pop("to"), data.pop("comment", ""), data.pop("version", None)
        sr = services.transition(
            sr, to=to, actor=request.user, comment=comment, expected_version=version, **data
        )
        return self.detail_answer(sr)

    @extend_schema(request=CommentSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        sr = self.get_object()
        data = self.action_input(CommentSerializer)
        sr = services.approve(
            sr, actor=request.user, comment=data["comment"], expected_version=data.get("version")
        )
        return self.detail_answer(sr)

    @extend_schema(request=CommentSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"], url_path="carry-out")
    def carry_out(self, request, pk=None):
        sr = self.get_object()
        data = self.action_input(CommentSerializer)
        sr, password = services.carry_out(
            sr, actor=request.user, comment=data["comment"], expected_version=data.get("version")
        )
        response = self.detail_answer(sr)
        if password:
            response.data = {**response.data, "first_password": password}
        return response

    @extend_schema(request=TextSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        sr = self.get_object()
        return self.detail_answer(
            services.reply(sr, actor=request.user, text=self.action_input(TextSerializer)["text"])
        )

    @extend_schema(request=TextSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        sr = self.get_object()
        services.add_note(sr, actor=request.user, text=self.action_input(TextSerializer)["text"])
        return self.detail_answer(sr)

    @extend_schema(request=RateSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        sr = self.get_object()
        data = self.action_input(RateSerializer)
        return self.detail_answer(
            services.rate(sr, actor=request.user, rating=data["rating"], comment=data["comment"])
        )

    @extend_schema(request=RequestAssignSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        sr = self.get_object()
        data = self.action_input(RequestAssignSerializer)
        return self.detail_answer(
            services.assign(sr, actor=request.user, assignee=_assignee(request.user, data.get("assignee")))
        )

    @extend_schema(request=BulkAssignSerializer, responses={200: dict})
    @action(detail=False, methods=["post"], url_path="bulk-assign")
    def bulk_assign(self, request):
        data = self.action_input(BulkAssignSerializer)
        count = services.bulk_assign(
            data["requests"], actor=request.user, assignee=_assignee(request.user, data.get("assignee"))
        )
        return Response({"assigned": count})

    @extend_schema(request=CommentSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"], url_path="make-incident")
    def make_incident(self, request, pk=None):
        sr = self.get_object()
        data = self.action_input(CommentSerializer)
        return self.detail_answer(services.make_incident(sr, actor=request.user, comment=data["comment"]))

    @extend_schema(request=None, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"], url_path="make-change")
    def make_change(self, request, pk=None):
        sr = self.get_object()
        return self.detail_answer(services.make_change(sr, actor=request.user))

    @extend_schema(request=KnownErrorSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"], url_path="known-error")
    def known_error(self, request, pk=None):
        sr = self.get_object()
        data = self.action_input(KnownErrorSerializer)
        problem = None
        if data.get("problem"):
            problem = scoping.visible(Problem.objects.all(), request.user).filter(pk=data["problem"]).first()
            if problem is None:
                raise DomainError(_("No such known error."), field="problem")
        sr = services.cite_known_error(
            sr, actor=request.user, problem=problem, title=data["title"], workaround=data["workaround"]
        )
        return self.detail_answer(sr)

    @extend_schema(responses={200: dict})
    @action(detail=False, methods=["get"])
    def figures(self, request):
        """Per unit of the caller's and month (`?month=YYYY-MM`): what the monthly report reads."""
        month = queries.month_of(request.query_params.get("month"))
        base = services.visible(ServiceRequest.objects.all(), request.user)
        answer = []
        for unit in queries.units_of(request.user):
            figures = timers.figures(base.filter(unit=unit), month)
            answer.append({"unit": unit.pk, "month": month.strftime("%Y-%m"), **figures.__dict__})
        return Response({"results": answer})


class RequestTypeSerializer(serializers.ModelSerializer):
    version = VersionField()

    class Meta:
        model = RequestType
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "description",
            "fields",
            "approvers",
            "performer",
            "action",
            "answer_minutes",
            "complete_minutes",
            "hold_states",
            "waiting_close_days",
            "is_active",
            "version",
        ]


class RequestTypeViewSet(RecordViewSet):
    """The catalogue: every account reads it (the group's types serve every unit); group admins edit it."""

    queryset = RequestType.objects.all()
    serializer_class = RequestTypeSerializer
    service = services
    filterset_fields = ["kind", "is_active"]
    search_fields = ["name", "code"]

    def get_queryset(self):
        return self.queryset.all()


class ReplyTemplateSerializer(serializers.ModelSerializer):
    version = VersionField()

    class Meta:
        model = ReplyTemplate
        fields = ["id", "unit", "name", "body", "version"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        fields["unit"].queryset = scoping.writable(Unit.objects.all(), request.user if request else None)
        return fields


class ReplyTemplateViewSet(RecordViewSet):
    """Reply templates of the units the caller manages (the group's: a group admin's)."""

    queryset = ReplyTemplate.objects.all()
    serializer_class = ReplyTemplateSerializer
    service = services
    search_fields = ["name"]

    def get_queryset(self):
        return scoping.writable(self.queryset.all(), self.request.user)


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    is_working = serializers.BooleanField()
    name = serializers.CharField()


class CalendarImportSerializer(serializers.Serializer):
    unit = serializers.IntegerField(
        required=False, min_value=1, help_text="a unit's override; none: the group's"
    )
    csv = serializers.CharField(help_text="date,kind,name rows; kind holiday or workday")


class CalendarViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The working calendar that holds for a unit (`?unit=`; none: the group's), days of `?year=`."""

    serializer_class = CalendarDaySerializer
    pagination_class = None

    def get_queryset(self):  # the days are read from the calendar, not a queryset; the schema needs one
        return CalendarDay.objects.none()

    def _unit(self, raw):
        if not raw:
            return None
        unit = (
            scoping.visible(Unit.objects.all(), self.request.user)
            .filter(pk=int(raw) if is_id(raw) else 0)
            .first()
        )
        if unit is None:
            raise exceptions.NotFound()
        return unit

    def list(self, request, *args, **kwargs):
        unit = self._unit(request.query_params.get("unit"))
        raw_year = request.query_params.get("year", "")
        cal = work_calendar.calendar_for(unit.pk if unit else None)
        days = [
            {"date": d, "is_working": cal.days[d], "name": cal.names.get(d, "")}
            for d in sorted(cal.days)
            if not raw_year or str(d.year) == raw_year
        ]
        return Response(CalendarDaySerializer(days, many=True).data)

    @extend_schema(request=CalendarImportSerializer, responses={200: dict})
    @also_answers("404")  # a unit the caller cannot see
    @action(detail=False, methods=["post"], url_path="import")
    def import_days(self, request):
        serializer = CalendarImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = self._unit(serializer.validated_data.get("unit"))
        count = work_calendar.import_days(
            work_calendar.calendar_of(unit), serializer.validated_data["csv"], actor=request.user
        )
        return Response({"imported": count})
