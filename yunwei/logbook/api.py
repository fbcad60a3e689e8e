"""REST API of the log books (Art. 5): thin views over scoped querysets and logbook.services.

Lists take `?unit=` and `?month=YYYY-MM` (the month an entry happened in); a malformed or future month
answers 400 naming `month`, another unit's record 404."""

from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from yunwei.cmdb.models import Item
from yunwei.core import scoping
from yunwei.core.api import ScopedPrimaryKeyRelatedField, ScopedViewSet, VersionField, refuse_delete
from yunwei.core.errors import DomainError
from yunwei.core.filters import is_id
from yunwei.core.schema import also_answers
from yunwei.monitoring.models import Heartbeat
from yunwei.org.models import Person, Team, Unit

from . import facts, services
from .choices import AttachmentOf, EscalatedTo, LogKind, RectificationState
from .models import (
    Attachment,
    BackupEntry,
    Checkpoint,
    Finding,
    LogNote,
    MonthlyReview,
    Reading,
    Rectification,
    RestoreDrill,
    ReviewEvent,
    Round,
    RoundTemplate,
)

MONTH_PARAMS = [
    OpenApiParameter("unit", OpenApiTypes.INT, description="unit id"),
    OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM: the month the entries happened in"),
]


def _month_filter(queryset, request, field="occurred_at"):
    unit = request.query_params.get("unit")
    if unit:
        if not is_id(unit):
            raise DomainError(_("Give the unit as its number."), field="unit")
        queryset = queryset.filter(unit_id=int(unit))
    month = request.query_params.get("month")
    if month:
        start, end = facts.month_bounds(services.parse_month(month))
        queryset = queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end})
    return queryset


class EntrySerializer(serializers.ModelSerializer):
    unit = ScopedPrimaryKeyRelatedField(queryset=Unit.objects.all())
    version = VersionField()
    is_correction = serializers.BooleanField(read_only=True)

    class Meta:
        fields = [
            "id",
            "unit",
            "occurred_at",
            "recorded_at",
            "recorded_by",
            "correction",
            "is_correction",
            "version",
        ]
        read_only_fields = ["recorded_at", "recorded_by"]


class NoteSerializer(EntrySerializer):
    team = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)

    class Meta(EntrySerializer.Meta):
        model = LogNote
        fields = [*EntrySerializer.Meta.fields, "kind", "team", "text"]


class BackupSerializer(EntrySerializer):
    heartbeat = ScopedPrimaryKeyRelatedField(
        queryset=Heartbeat.objects.all(), required=False, allow_null=True
    )

    class Meta(EntrySerializer.Meta):
        model = BackupEntry
        fields = [
            *EntrySerializer.Meta.fields,
            "heartbeat",
            "subject",
            "target",
            "ended_at",
            "size",
            "succeeded",
            "remarks",
        ]


class RestoreDrillSerializer(EntrySerializer):
    performed_by = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all())
    verified_by = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all())

    class Meta(EntrySerializer.Meta):
        model = RestoreDrill
        fields = [
            *EntrySerializer.Meta.fields,
            "subject",
            "restored_to",
            "duration_minutes",
            "performed_by",
            "verified_by",
            "outcome",
            "remarks",
        ]


class EntryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """An entry kind: created through its service, edited while its month is open (a signed month: 409).
    A log-book entry is never deleted: a wrong one is corrected by a later entry."""

    create_service = None

    perform_destroy = refuse_delete

    def get_queryset(self):
        return _month_filter(super().get_queryset(), self.request).order_by("-occurred_at", "-id")

    @extend_schema(parameters=MONTH_PARAMS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = type(self).create_service(actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        instance = serializer.instance
        if "unit" in data and data.pop("unit") != instance.unit:
            raise DomainError(_("An entry stays in its unit."), field="unit")
        data.pop("correction", None)
        if "heartbeat" in data and data.pop("heartbeat") != getattr(instance, "heartbeat", None):
            raise DomainError(_("This field cannot be changed."), field="heartbeat")
        for name in ("performed_by", "verified_by"):
            if name in data and data.pop(name) != getattr(instance, name):
                raise DomainError(_("This field cannot be changed."), field=name)
        serializer.instance = services.update_entry(
            instance, actor=self.request.user, expected_version=version, **data
        )


class NoteViewSet(EntryViewSet):
    queryset = LogNote.objects.select_related("unit")
    serializer_class = NoteSerializer
    create_service = staticmethod(services.record_note)


class BackupViewSet(EntryViewSet):
    queryset = BackupEntry.objects.select_related("unit")
    serializer_class = BackupSerializer
    create_service = staticmethod(services.record_backup)


class DrillViewSet(EntryViewSet):
    queryset = RestoreDrill.objects.select_related("unit")
    serializer_class = RestoreDrillSerializer
    create_service = staticmethod(services.record_drill)


# -- rounds ----------------------------------------------------------------------------------------


class CheckpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = Checkpoint
        fields = ["id", "position", "label", "kind", "unit_label", "low", "high"]
        read_only_fields = ["id", "position"]


class TemplateSerializer(serializers.ModelSerializer):
    unit = ScopedPrimaryKeyRelatedField(queryset=Unit.objects.all())
    team = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all())
    location = ScopedPrimaryKeyRelatedField(queryset=Item.objects.all(), required=False, allow_null=True)
    # The readings walked now (an edit retires the ones it changes; past rounds keep theirs).
    checkpoints = CheckpointSerializer(many=True, source="current")
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), allow_empty=False
    )
    version = VersionField()

    class Meta:
        model = RoundTemplate
        fields = [
            "id",
            "unit",
            "team",
            "name",
            "location",
            "weekdays",
            "active_from",
            "is_active",
            "retired_on",
            "checkpoints",
            "version",
        ]
        read_only_fields = ["is_active", "retired_on"]
        extra_kwargs = {"active_from": {"required": False}}


class TemplateRetireSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)


class TemplateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """A round's checklist: created by the unit's staff, edited (with `version`) and retired by its admins;
    a retired round is kept with the rounds walked against it."""

    queryset = RoundTemplate.objects.select_related("unit", "team").prefetch_related(
        Prefetch(
            "checkpoints", queryset=Checkpoint.objects.filter(retired_at__isnull=True), to_attr="current"
        )
    )
    serializer_class = TemplateSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        data["checkpoints"] = data.pop("current")
        template = services.create_template(actor=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=template.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        instance = serializer.instance
        if "unit" in data and data.pop("unit") != instance.unit:
            raise DomainError(_("A round stays in its unit."), field="unit")
        if "active_from" in data and data.pop("active_from") != instance.active_from:
            raise DomainError(_("This field cannot be changed."), field="active_from")
        if "current" in data:
            data["checkpoints"] = data.pop("current")
        template = services.update_template(
            instance, actor=self.request.user, expected_version=data.pop("version", None), **data
        )
        serializer.instance = self.get_queryset().get(pk=template.pk)

    @extend_schema(request=TemplateRetireSerializer, responses=TemplateSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """Retire the round: not due from today on; the rounds walked before stay."""
        template = self.get_object()
        body = TemplateRetireSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.retire_template(
            template, actor=request.user, expected_version=body.validated_data.get("version")
        )
        return Response(TemplateSerializer(self.get_queryset().get(pk=template.pk)).data)


class ReadingSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="checkpoint.label", read_only=True)

    class Meta:
        model = Reading
        fields = [
            "id",
            "checkpoint",
            "label",
            "value",
            "out_of_limits",
            "escalated_to",
            "incident",
            "problem",
        ]
        read_only_fields = fields


class RoundSerializer(serializers.ModelSerializer):
    template = ScopedPrimaryKeyRelatedField(queryset=RoundTemplate.objects.all())
    performed_by = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), required=False)
    readings = serializers.DictField(
        child=serializers.CharField(allow_blank=True), write_only=True, help_text="checkpoint id → value"
    )
    values = ReadingSerializer(source="readings", many=True, read_only=True)

    class Meta:
        model = Round
        fields = [
            "id",
            "unit",
            "template",
            "occurred_at",
            "recorded_at",
            "recorded_by",
            "performed_by",
            "remarks",
            "correction",
            "readings",
            "values",
        ]
        read_only_fields = ["unit", "recorded_at", "recorded_by"]


class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    queryset = Round.objects.select_related("template").prefetch_related("readings__checkpoint")
    serializer_class = RoundSerializer

    def get_queryset(self):
        return _month_filter(super().get_queryset(), self.request).order_by("-occurred_at", "-id")

    @extend_schema(parameters=MONTH_PARAMS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        performer = data.pop("performed_by", None) or getattr(self.request.user, "person", None)
        serializer.instance = services.record_round(actor=self.request.user, performed_by=performer, **data)


class ReadingEscalateSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=EscalatedTo.choices)


class ReadingViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = Reading.objects.select_related("checkpoint")
    serializer_class = ReadingSerializer

    @extend_schema(request=ReadingEscalateSerializer, responses=ReadingSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """Turn an out-of-limits reading into an incident or a problem (once)."""
        reading = self.get_object()
        body = ReadingEscalateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reading = services.escalate_reading(reading, to=body.validated_data["to"], actor=request.user)
        return Response(ReadingSerializer(reading).data)


# -- attachments -----------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)

    class Meta:
        model = Attachment
        fields = [
            "id",
            "unit",
            "entry_type",
            "entry_id",
            "name",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "file",
        ]
        read_only_fields = ["unit", "name", "size", "sha256", "uploaded_by", "uploaded_at"]


class AttachmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet
):
    queryset = Attachment.objects.all()
    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def perform_create(self, serializer):
        data = serializer.validated_data
        model = services.ATTACHABLE[AttachmentOf(data["entry_type"])]
        entry = scoping.visible(model.objects.all(), self.request.user).filter(pk=data["entry_id"]).first()
        if entry is None:
            raise DomainError(_("No such entry."), field="entry_id")
        serializer.instance = services.attach(entry, data["file"], actor=self.request.user)


# -- the monthly review ------------------------------------------------------------------------------


class ReviewEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewEvent
        fields = ["at", "actor_name", "kind", "from_state", "to_state", "comment", "data"]


class FindingSerializer(serializers.ModelSerializer):
    rectification = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "review", "log", "text", "recorded_by", "recorded_at", "rectification"]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    overdue = serializers.SerializerMethodField()
    findings = FindingSerializer(many=True, read_only=True)
    events = ReviewEventSerializer(many=True, read_only=True)

    class Meta:
        model = MonthlyReview
        fields = [
            "id",
            "unit",
            "month",
            "due_on",
            "overdue",
            "state",
            "backup_confirmed_at",
            "daily_confirmed_at",
            "problems_confirmed_at",
            "signed_at",
            "signed_by",
            "snapshot",
            "findings",
            "events",
            "version",
        ]
        read_only_fields = fields

    def get_overdue(self, review) -> bool:
        return services.is_overdue(review, review.month)


class OpenReviewSerializer(serializers.Serializer):
    unit = ScopedPrimaryKeyRelatedField(queryset=Unit.objects.all())
    month = serializers.CharField()


class ConfirmSerializer(serializers.Serializer):
    log = serializers.ChoiceField(choices=LogKind.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class FindingInputSerializer(serializers.Serializer):
    log = serializers.ChoiceField(choices=LogKind.choices)
    text = serializers.CharField()


class SignSerializer(serializers.Serializer):
    password = serializers.CharField(
        required=False, allow_blank=True, default="", style={"input_type": "password"}
    )
    otp = serializers.CharField(required=False, allow_blank=True, default="")
    version = VersionField()


class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = MonthlyReview.objects.select_related("unit").prefetch_related("findings", "events")
    serializer_class = ReviewSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        unit = self.request.query_params.get("unit")
        if unit and is_id(unit):
            queryset = queryset.filter(unit_id=int(unit))
        month = self.request.query_params.get("month")
        if month and self.action == "list":
            queryset = queryset.filter(month=services.parse_month(month))
        return queryset

    @extend_schema(parameters=MONTH_PARAMS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _body(self, serializer_class) -> dict:
        body = serializer_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    def _answer(self, review, code=status.HTTP_200_OK) -> Response:
        review = self.get_queryset().get(pk=review.pk)
        return Response(ReviewSerializer(review).data, status=code)

    @extend_schema(request=OpenReviewSerializer, responses=ReviewSerializer)
    @action(detail=False, methods=["post"], url_path="open")
    def open(self, request):
        """The unit's review of a month (opened on first use; a lead only)."""
        data = self._body(OpenReviewSerializer)
        review = services.open_review(data["unit"], services.parse_month(data["month"]), actor=request.user)
        return self._answer(review)

    @extend_schema(request=ConfirmSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        review = self.get_object()
        data = self._body(ConfirmSerializer)
        return self._answer(
            services.confirm_log(review, data["log"], actor=request.user, comment=data["comment"])
        )

    @extend_schema(request=FindingInputSerializer, responses={201: FindingSerializer})
    @action(detail=True, methods=["post"])
    def findings(self, request, pk=None):
        review = self.get_object()
        data = self._body(FindingInputSerializer)
        finding = services.add_finding(review, log=data["log"], text=data["text"], actor=request.user)
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SignSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Sign the month with a fresh password or TOTP code: the month is frozen."""
        review = self.get_object()
        data = self._body(SignSerializer)
        signed = services.sign(
            review,
            actor=request.user,
            password=data["password"],
            otp=data["otp"],
            expected_version=data.get("version"),
        )
        return self._answer(signed)


class RectifyInputSerializer(serializers.Serializer):
    owner = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all())
    deadline = serializers.DateField()
    title = serializers.CharField(required=False, allow_blank=True, default="")


class RectificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rectification
        fields = [
            "id",
            "unit",
            "finding",
            "title",
            "owner",
            "deadline",
            "state",
            "result",
            "done_by",
            "verified_by",
            "verified_at",
            "escalation_level",
            "version",
        ]
        read_only_fields = fields


class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = Finding.objects.select_related("review")
    serializer_class = FindingSerializer

    @extend_schema(request=RectifyInputSerializer, responses={201: RectificationSerializer})
    @action(detail=True, methods=["post"])
    def rectify(self, request, pk=None):
        """The finding becomes a rectification item with owner and deadline."""
        finding = self.get_object()
        body = RectifyInputSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        rect = services.rectify(finding, actor=request.user, **body.validated_data)
        return Response(RectificationSerializer(rect).data, status=status.HTTP_201_CREATED)


class RectificationTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=RectificationState.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    result = serializers.CharField(required=False, allow_blank=True, default="")
    version = VersionField()


class RectificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = Rectification.objects.select_related("unit", "owner")
    serializer_class = RectificationSerializer

    def get_queryset(self):
        queryset = super().get_queryset().order_by("deadline", "id")
        state = self.request.query_params.get("state")
        if state:
            if state not in RectificationState.values:
                raise DomainError(_("Unknown state."), field="state")
            queryset = queryset.filter(state=state)
        return queryset

    @extend_schema(request=RectificationTransitionSerializer, responses=RectificationSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        rect = self.get_object()
        body = RectificationTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        rect = services.transition(
            rect,
            to=data["to"],
            actor=request.user,
            comment=data["comment"],
            result=data["result"],
            expected_version=data.get("version"),
        )
        return Response(RectificationSerializer(rect).data)


# -- a month at a glance ----------------------------------------------------------------------------


class MonthView(APIView):
    """A unit's month of the three logs: the review and its due date, the backup days with their gaps,
    the missing rounds (`facts`)."""

    @extend_schema(parameters=MONTH_PARAMS, responses=OpenApiTypes.OBJECT)
    @also_answers("404")  # a unit the caller cannot see
    def get(self, request):
        raw = request.query_params.get("unit", "")
        if not is_id(raw):
            raise DomainError(_("Give the unit as its number."), field="unit")
        unit = get_object_or_404(scoping.visible(Unit.objects.all(), request.user), pk=int(raw))
        month = services.parse_month(request.query_params.get("month"))
        with transaction.atomic():
            review = facts.review_of(unit, month)
            body = {
                "unit": unit.pk,
                "month": f"{month:%Y-%m}",
                "review": ReviewSerializer(review).data if review else None,
                "due_on": (review.due_on if review else facts.due_on(month)).isoformat(),
                "overdue": services.is_overdue(review, month),
                "summary": services.summary(unit, month),
                "backup_evidence": facts.backup_evidence(unit, month).as_json(),
            }
        return Response(body)
