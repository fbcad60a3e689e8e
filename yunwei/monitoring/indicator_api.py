"""REST API of the indicators (运行指标, Art. 3 (1)): CRUD through the services, an indicator's figures of a
month (`figures?month=YYYY-MM`), and the breaches, read only (machine data)."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from yunwei.cmdb.models import Item
from yunwei.core.api import RecordViewSet, ScopedPrimaryKeyRelatedField, ScopedViewSet, VersionField

from . import services
from .indicator_filters import BreachFilter, IndicatorFilter
from .models import Check, Indicator, IndicatorBreach
from .services import indicators


class IndicatorSerializer(serializers.ModelSerializer):
    item = ScopedPrimaryKeyRelatedField(queryset=Item.objects.all())
    checks = ScopedPrimaryKeyRelatedField(
        queryset=Check.objects.all(),
        many=True,
        required=False,
        help_text="the checks that count; none: every check of the item",
    )
    version = VersionField()

    class Meta:
        model = Indicator
        fields = [
            "id",
            "unit",
            "item",
            "name",
            "checks",
            "availability_target",
            "latency_target_ms",
            "cert_days_target",
            "backup_age_target_hours",
            "backup_success_target",
            "version",
        ]
        read_only_fields = ["unit"]


class FiguresSerializer(serializers.Serializer):
    """One day's or one month's figures, with what availability left out beside it."""

    first = serializers.DateField()
    last = serializers.DateField()
    availability = serializers.FloatField(allow_null=True)
    up_seconds = serializers.FloatField()
    down_seconds = serializers.FloatField()
    unknown_seconds = serializers.FloatField()
    maintenance_seconds = serializers.FloatField()
    no_data_seconds = serializers.FloatField()
    latency_mean_ms = serializers.FloatField(allow_null=True)
    cert_days_min = serializers.FloatField(allow_null=True)
    backup_age_hours = serializers.FloatField(allow_null=True)
    backup_success = serializers.FloatField(allow_null=True)
    backups_good = serializers.IntegerField()
    backups_finished = serializers.IntegerField()


class BreachSerializer(serializers.ModelSerializer):
    unit = serializers.IntegerField(source="indicator.unit_id", read_only=True)
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)

    class Meta:
        model = IndicatorBreach
        fields = [
            "id",
            "unit",
            "indicator",
            "indicator_name",
            "figure",
            "day",
            "target",
            "actual",
            "detected_at",
        ]
        read_only_fields = fields


class TargetFigureSerializer(serializers.Serializer):
    figure = serializers.CharField()
    target = serializers.FloatField(allow_null=True)
    actual = serializers.FloatField(allow_null=True)
    missed = serializers.BooleanField()


class IndicatorFiguresSerializer(serializers.Serializer):
    """An indicator's figures of a month: each target, the month's whole and its days."""

    indicator = serializers.IntegerField()
    month = serializers.CharField()
    targets = TargetFigureSerializer(many=True)
    total = FiguresSerializer()
    days = FiguresSerializer(many=True)


class IndicatorViewSet(RecordViewSet):
    """Indicators (Art. 3 (1)): CRUD through the services; `figures?month=YYYY-MM` answers the month's
    figures and each day's (this month by default)."""

    queryset = Indicator.objects.select_related("unit", "item").prefetch_related("checks")
    serializer_class = IndicatorSerializer
    service = services
    filterset_class = IndicatorFilter
    search_fields = ["name", "item__name", "item__code"]
    ordering_fields = ["id", "name"]

    @extend_schema(
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM (default: this month)")],
        responses=IndicatorFiguresSerializer,
    )
    @action(detail=True, methods=["get"])
    def figures(self, request, pk=None):
        indicator = self.get_object()
        month = request.query_params.get("month") or timezone.localdate().strftime("%Y-%m")
        period = indicators.figures(indicator, month)
        return Response(
            {
                "indicator": indicator.pk,
                "month": month,
                "targets": [
                    {
                        "figure": row["figure"],
                        "target": float(row["target"]) if row["target"] is not None else None,
                        "actual": row["actual"],
                        "missed": row["missed"],
                    }
                    for row in period.rows
                ],
                "total": FiguresSerializer(period.total).data,
                "days": FiguresSerializer(period.days, many=True).data,
            }
        )


class BreachViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Days an indicator missed its target: machine data, written only by the daily evaluation."""

    queryset = IndicatorBreach.objects.select_related("indicator")
    serializer_class = BreachSerializer
    filterset_class = BreachFilter
    ordering_fields = ["id", "day"]
