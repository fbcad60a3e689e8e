"""REST API of monitoring's heartbeats (Art. 3, 5, 9): thin views over scoped querysets and the services."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from yunwei.cmdb.models import Item
from yunwei.core.api import RecordViewSet, ScopedPrimaryKeyRelatedField, ScopedViewSet, VersionField
from yunwei.org.models import Unit

from . import series as check_series
from . import services
from .filters import BackupLogFilter, CheckFilter, HeartbeatFilter, RunFilter
from .forms import SECRET_KEYS
from .models import Check, CheckEvent, CheckResult, Heartbeat, HeartbeatRun


class HeartbeatSerializer(serializers.ModelSerializer):
    unit = ScopedPrimaryKeyRelatedField(queryset=Unit.objects.all())
    item = ScopedPrimaryKeyRelatedField(queryset=Item.objects.all(), required=False, allow_null=True)
    ping_url = serializers.SerializerMethodField(help_text="POST or GET here when the job succeeds")
    version = VersionField()

    class Meta:
        model = Heartbeat
        fields = [
            "id",
            "uuid",
            "ping_url",
            "unit",
            "item",
            "name",
            "kind",
            "schedule_kind",
            "period",
            "grace",
            "cron_expression",
            "tz",
            "min_run_time",
            "min_size",
            "description",
            "state",
            "last_ping_at",
            "next_due_at",
            "alert_after",
            "version",
        ]
        read_only_fields = ["uuid", "state", "last_ping_at", "next_due_at", "alert_after"]

    def get_ping_url(self, heartbeat) -> str:
        request = self.context.get("request")
        path = f"/ping/{heartbeat.uuid}"
        return request.build_absolute_uri(path) if request else path


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = HeartbeatRun
        fields = [
            "id",
            "heartbeat",
            "kind",
            "received_at",
            "recorded_at",
            "started_at",
            "run_time",
            "succeeded",
            "exit_status",
            "size",
            "body",
            "truncated",
            "remote_addr",
            "user_agent",
            "trusted",
            "distrust",
        ]
        read_only_fields = fields


class BackupLogSerializer(serializers.ModelSerializer):
    """A record of a unit's backup log: when the backup happened, apart from when it was recorded."""

    unit = serializers.IntegerField(source="heartbeat.unit_id", read_only=True)
    job = serializers.CharField(source="heartbeat.name", read_only=True)
    happened_at = serializers.DateTimeField(source="received_at", read_only=True)
    good = serializers.BooleanField(source="is_good_backup", read_only=True)

    class Meta:
        model = HeartbeatRun
        fields = [
            "id",
            "unit",
            "heartbeat",
            "job",
            "happened_at",
            "recorded_at",
            "started_at",
            "run_time",
            "succeeded",
            "exit_status",
            "size",
            "trusted",
            "distrust",
            "good",
        ]
        read_only_fields = fields


class HeartbeatViewSet(RecordViewSet):
    queryset = Heartbeat.objects.select_related("unit", "item")
    serializer_class = HeartbeatSerializer
    service = services
    filterset_class = HeartbeatFilter
    search_fields = ["name", "description"]
    ordering_fields = ["id", "name", "state", "next_due_at", "last_ping_at"]


class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Runs are machine data: read here, written only by pings."""

    queryset = HeartbeatRun.objects.all()
    serializer_class = RunSerializer
    filterset_class = RunFilter
    ordering_fields = ["id", "received_at"]


class BackupLogViewSet(mixins.ListModelMixin, ScopedViewSet):
    """The backup log (Art. 5, 9): `?unit=<id>&month=YYYY-MM`."""

    queryset = services.backup_log(HeartbeatRun.objects.select_related("heartbeat"))
    serializer_class = BackupLogSerializer
    filterset_class = BackupLogFilter
    ordering_fields = ["id", "received_at"]


class SecretSpecMixin:
    """The credentials in a probe's spec (password, community, auth_key, priv_key) are write-only: a read
    leaves them out of `spec` and lists which are stored in `spec_secrets`; a write that leaves one out
    of a spec of the same kind keeps the stored one (send "" to clear it)."""

    def get_spec_secrets(self, obj) -> list[str]:
        return sorted(key for key in SECRET_KEYS if (obj.spec or {}).get(key))

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if isinstance(data.get("spec"), dict):
            data["spec"] = {k: v for k, v in data["spec"].items() if k not in SECRET_KEYS}
        return data

    def validate(self, attrs):
        attrs = super().validate(attrs)
        stored = getattr(self.instance, "spec", None) or {}
        spec = attrs.get("spec")
        same_kind = self.instance is not None and attrs.get("kind", self.instance.kind) == self.instance.kind
        if same_kind and isinstance(spec, dict):
            for key in SECRET_KEYS:
                if key not in spec and key in stored:
                    spec[key] = stored[key]
        return attrs


SPEC_SECRETS_HELP = "which credentials are stored (write-only: never read back)"


class CheckSerializer(SecretSpecMixin, serializers.ModelSerializer):
    item = ScopedPrimaryKeyRelatedField(queryset=Item.objects.all())
    reference = ScopedPrimaryKeyRelatedField(queryset=Check.objects.all(), required=False, allow_null=True)
    spec = serializers.JSONField(
        help_text="the probe's fields for its kind (docs/probes.md), without `type`; credentials "
        "(password, community, auth_key, priv_key) are write-only"
    )
    spec_secrets = serializers.SerializerMethodField(help_text=SPEC_SECRETS_HELP)
    version = VersionField()

    class Meta:
        model = Check
        fields = [
            "id",
            "unit",
            "item",
            "name",
            "kind",
            "spec",
            "spec_secrets",
            "interval",
            "retry_interval",
            "fail_after",
            "recover_after",
            "window_failures",
            "window",
            "flap_threshold",
            "flap_window",
            "is_reference",
            "reference",
            "template",
            "state",
            "state_reason",
            "last_run_at",
            "next_run_at",
            "version",
        ]
        read_only_fields = ["unit", "state", "state_reason", "last_run_at", "next_run_at"]


class CheckResultSerializer(serializers.ModelSerializer):
    check = serializers.IntegerField(source="active_check_id", read_only=True)

    class Meta:
        model = CheckResult
        fields = ["id", "check", "at", "slot", "status", "latency_ms", "reason", "method"]
        read_only_fields = fields


class CheckEventSerializer(serializers.ModelSerializer):
    check = serializers.IntegerField(source="active_check_id", read_only=True)

    class Meta:
        model = CheckEvent
        fields = ["id", "check", "at", "kind", "state", "reason"]
        read_only_fields = fields


class CheckSeriesSerializer(serializers.Serializer):
    """A check's chart data (docs/probes.md, "Charts"); read only."""

    check = serializers.IntegerField()
    range = serializers.ChoiceField(choices=list(check_series.RANGES))
    resolution = serializers.ChoiceField(choices=["minute", "hour", "day"])
    to = serializers.IntegerField(help_text="the end of the range, ms since the epoch")
    states = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()), help_text="[from_ms, to_ms, state]"
    )
    latency = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="[t_ms, ms | null]",
    )
    seconds = serializers.DictField(child=serializers.IntegerField())
    availability = serializers.FloatField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.IntegerField(help_text="the start of the range, ms since the epoch")
        return fields


class CheckViewSet(RecordViewSet):
    """Active checks (Art. 3): CRUD through the services; `run` tests one now, `results` lists its runs,
    `events` what its damping did, `series` its chart data."""

    queryset = Check.objects.select_related("unit", "item")
    serializer_class = CheckSerializer
    service = services
    filterset_class = CheckFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "state", "next_run_at", "last_run_at"]

    @extend_schema(request=None, responses=CheckResultSerializer)
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        """Run the check's probe now (as the dispatcher would, outside its slot) and answer its result."""
        check = self.get_object()
        services.require_manage_checks(request.user, check.unit_id)
        result = services.run_check(check.pk)
        return Response(CheckResultSerializer(result).data)

    @extend_schema(responses=CheckResultSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """The check's results, latest first (paginated like every list)."""
        check = self.get_object()
        page = self.paginate_queryset(CheckResult.objects.filter(active_check=check).order_by("-at", "-id"))
        return self.get_paginated_response(CheckResultSerializer(page, many=True).data)

    @extend_schema(responses=CheckEventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        """What the check's damping did (down, up, unknown, judged again, flapping), latest first."""
        check = self.get_object()
        page = self.paginate_queryset(CheckEvent.objects.filter(active_check=check).order_by("-at", "-id"))
        return self.get_paginated_response(CheckEventSerializer(page, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "range",
                OpenApiTypes.STR,
                enum=list(check_series.RANGES),
                description="24h (default), 7d, 30d, 90d",
            )
        ],
        responses=CheckSeriesSerializer,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def series(self, request, pk=None):
        """The check's chart data over `?range=24h|7d|30d|90d`: state segments `[from_ms, to_ms, state]`,
        latency points `[t_ms, ms|null]`, the seconds by state and the availability (docs/probes.md)."""
        check = self.get_object()
        return Response(check_series.series(check, request.query_params.get("range", "24h")))
