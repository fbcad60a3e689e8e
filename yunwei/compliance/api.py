"""The compliance API, under /api/compliance/: results with their findings (and the "not applicable"
request on one), the requests and their decision, the runs, and the scores per unit (the one function
of `scores`)."""

from django.db.models import Prefetch, Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from yunwei.core import scoping
from yunwei.core.api import ScopedPrimaryKeyRelatedField, ScopedViewSet
from yunwei.core.filters import MAX_ID
from yunwei.org.models import Unit

from . import registry, scores, services
from .choices import ExemptionDecision
from .links import record_url
from .models import ComplianceRun, Exemption, Finding, Result


class ComplianceFindingSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = ["object_type", "object_id", "label", "detail", "url"]
        read_only_fields = fields

    def get_url(self, finding) -> str:
        return record_url(finding.object_type, finding.object_id, finding.result.month)


class ComplianceResultSerializer(serializers.ModelSerializer):
    findings = ComplianceFindingSerializer(many=True, read_only=True)
    duty_title = serializers.SerializerMethodField()

    class Meta:
        model = Result
        fields = [
            "id",
            "unit",
            "month",
            "article",
            "duty",
            "duty_title",
            "duty_version",
            "carried_by",
            "judged",
            "outcome",
            "checked",
            "failing",
            "note",
            "judged_at",
            "findings",
        ]
        read_only_fields = fields

    def get_duty_title(self, result) -> str:
        duty = registry.BY_CODE.get(result.duty)
        return str(duty.title) if duty else result.duty


class ExemptSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class ExemptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Exemption
        fields = [
            "id",
            "result",
            "reason",
            "state",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "version",
        ]
        read_only_fields = fields


def _month_filter(queryset, request):
    month = request.query_params.get("month")
    if month is not None:
        queryset = queryset.filter(month=services.parse_month(month))
    return queryset


class ResultViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Results of the duties per unit and month (`?month=YYYY-MM`, `unit`, `article`, `duty`, `outcome`),
    each with its findings; `exempt` asks for "not applicable" with its `reason`."""

    queryset = Result.objects.prefetch_related(Prefetch("findings", queryset=Finding.objects.order_by("id")))
    serializer_class = ComplianceResultSerializer
    filterset_fields = ["unit", "article", "duty", "outcome"]
    search_fields = ["duty", "unit__name"]
    ordering_fields = ["id", "month", "article"]

    def get_queryset(self):
        return _month_filter(super().get_queryset(), self.request)

    @extend_schema(request=ExemptSerializer, responses={201: ExemptionSerializer})
    @action(detail=True, methods=["post"], serializer_class=ExemptSerializer)
    def exempt(self, request, pk=None):
        result = self.get_object()
        data = ExemptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        exemption = services.request_exemption(
            result, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(ExemptionSerializer(exemption).data, status=status.HTTP_201_CREATED)


class ExemptionDecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ExemptionDecision.choices)
    note = serializers.CharField(allow_blank=True, required=False, default="")
    version = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class ExemptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """ "Not applicable" requests; `decide` approves or refuses one (a group system admin other than
    whoever asked; a refusal says why in `note`)."""

    queryset = Exemption.objects.select_related("result")
    serializer_class = ExemptionSerializer
    filterset_fields = ["state", "result"]
    ordering_fields = ["id", "requested_at"]

    @action(detail=True, methods=["post"], serializer_class=ExemptionDecideSerializer)
    def decide(self, request, pk=None):
        exemption = self.get_object()
        data = ExemptionDecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = services.decide_exemption(
            exemption,
            actor=request.user,
            approve=data.validated_data["decision"] == ExemptionDecision.APPROVE,
            note=data.validated_data["note"],
            expected_version=data.validated_data.get("version"),
        )
        return Response(ExemptionSerializer(decided).data)


class ComplianceRunSerializer(serializers.ModelSerializer):
    unit = ScopedPrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True)
    month = serializers.CharField()
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ComplianceRun
        fields = [
            "id",
            "kind",
            "month",
            "unit",
            "state",
            "steps_total",
            "steps_done",
            "percent",
            "step_name",
            "created_at",
            "started_at",
            "finished_at",
            "error",
        ]
        read_only_fields = [f for f in fields if f not in ("month", "unit")]


class RunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Runs of the compliance checks with their progress; a POST (`month`, optional `unit`) queues one."""

    queryset = ComplianceRun.objects.select_related("unit")
    serializer_class = ComplianceRunSerializer
    filterset_fields = ["state", "kind", "month"]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        units = scoping.visible(Unit.objects.all(), self.request.user)
        return super().get_queryset().filter(Q(unit__isnull=True) | Q(unit__in=units))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.start_run(
            serializer.validated_data["month"], actor=request.user, unit=serializer.validated_data.get("unit")
        )
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)


class UnitScoreSerializer(serializers.Serializer):
    """One unit's score of the month (what `scores.score_table` answers, as the pages show it)."""

    id = serializers.IntegerField(help_text="the unit's id")
    unit = serializers.CharField(help_text="the unit's code")
    name = serializers.CharField()
    score = serializers.FloatField(allow_null=True, help_text="(met + ½ × partly met) ÷ applicable, 0–1")
    percent = serializers.IntegerField(allow_null=True)
    met = serializers.IntegerField()
    partly_met = serializers.IntegerField()
    not_met = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    articles = serializers.DictField(child=serializers.IntegerField(allow_null=True))
    trend = serializers.ListField(child=serializers.DictField())


@extend_schema_serializer(many=False)  # the list action answers one table, not a list of them
class ScoresSerializer(serializers.Serializer):
    month = serializers.CharField()
    count = serializers.IntegerField()
    results = UnitScoreSerializer(many=True)


class ScoreViewSet(viewsets.GenericViewSet):
    """The score of each visible unit for `month` (default this month): overall, per article and the
    trend of the last six months, from `scores.score_table` — the figure the pages show."""

    pagination_class = None
    serializer_class = ScoresSerializer

    def get_queryset(self):
        return scoping.visible(Unit.objects.filter(is_active=True), self.request.user).order_by("code")

    @extend_schema(
        parameters=[OpenApiParameter("month", str, description="YYYY-MM, not in the future")],
        responses=ScoresSerializer,
    )
    def list(self, request):
        month = services.parse_month(request.query_params.get("month") or services.this_month())
        units = list(self.get_queryset())
        months = services.months_back(month, 6)
        table = scores.score_table(units, months)
        rows = []
        for unit in units:
            total = table.get((unit.pk, month, None), scores.Score())
            rows.append(
                {
                    "id": unit.pk,
                    "unit": unit.code,
                    "name": unit.name,
                    "score": None if total.value is None else float(total.value),
                    "percent": total.percent,
                    "met": total.met,
                    "partly_met": total.partly_met,
                    "not_met": total.not_met,
                    "not_applicable": total.not_applicable,
                    "articles": {
                        str(number): table.get((unit.pk, month, number), scores.Score()).percent
                        for number in registry.articles()
                    },
                    "trend": [
                        {"month": m, "percent": table.get((unit.pk, m, None), scores.Score()).percent}
                        for m in months
                    ],
                }
            )
        return Response({"month": month, "count": len(rows), "results": rows})
