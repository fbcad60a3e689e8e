"""REST API of alert intake (Art. 3): integrations (the token answered once, on create and on rotate),
mapping rules, alerts (read; machine data) and the unmatched queue with its `map` action."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from yunwei.cmdb.models import Item
from yunwei.core.api import RecordViewSet, ScopedPrimaryKeyRelatedField, ScopedViewSet, VersionField
from yunwei.org.models import Unit

from . import services
from .choices import WAITING
from .filters import AlertFilter, IntegrationFilter, RuleFilter
from .models import Alert, AlertEvent, Integration, MappingRule, Payload

TOKEN_PLACE = "<token>"  # noqa: S105 - the placeholder shown in the URL, not a secret


def intake_url(request, integration, *, token: str = TOKEN_PLACE) -> str:
    base = f"/intake/{integration.kind}/"
    # Joined after build_absolute_uri, which would percent-encode the placeholder's brackets.
    return f"{request.build_absolute_uri(base) if request else base}{token}/"


class IntegrationSerializer(serializers.ModelSerializer):
    unit = ScopedPrimaryKeyRelatedField(queryset=Unit.objects.all())
    hmac_secret = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="never read back; `has_secret` says"
    )
    has_secret = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(
        help_text="where the source posts; the token goes in place of <token>"
    )
    version = VersionField()

    class Meta:
        model = Integration
        fields = [
            "id",
            "unit",
            "kind",
            "name",
            "url",
            "token_hint",
            "hmac_secret",
            "has_secret",
            "signature_required",
            "signature_window",
            "replica_labels",
            "repeat_interval",
            "stale_factor",
            "watchdog_alert",
            "expect_watchdog",
            "min_payloads",
            "quiet_after",
            "payload_retention_days",
            "description",
            "state",
            "silent_since",
            "last_payload_at",
            "last_watchdog_at",
            "version",
        ]
        read_only_fields = ["token_hint", "state", "silent_since", "last_payload_at", "last_watchdog_at"]

    def get_has_secret(self, integration) -> bool:
        return bool(integration.hmac_secret)

    def get_url(self, integration) -> str:
        return intake_url(self.context.get("request"), integration)


class RotateSerializer(serializers.Serializer):
    version = VersionField()


class PayloadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payload
        fields = [
            "id",
            "integration",
            "received_at",
            "content_type",
            "remote_addr",
            "alert_count",
            "outcome",
            "body",
        ]
        read_only_fields = fields


class IntegrationViewSet(RecordViewSet):
    """Integrations: CRUD through the services. A create answers the token once (`token`, `url_with_token`);
    `rotate` makes a new one (answered once) and the old one stops at once."""

    queryset = Integration.objects.select_related("unit")
    serializer_class = IntegrationSerializer
    service = services
    filterset_class = IntegrationFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "state", "last_payload_at"]

    def _with_token(self, integration, token, code=status.HTTP_200_OK) -> Response:
        data = dict(self.get_serializer(integration).data)
        data["token"] = token
        data["url_with_token"] = intake_url(self.request, integration, token=token)
        return Response(data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        integration, token = services.create_integration(actor=request.user, **data)
        return self._with_token(integration, token, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], serializer_class=RotateSerializer)
    def rotate(self, request, pk=None):
        integration = self.get_object()
        data = RotateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        integration, token = services.rotate_token(
            integration, actor=request.user, expected_version=data.validated_data.get("version")
        )
        return self._with_token(integration, token)

    @extend_schema(responses=PayloadSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def payloads(self, request, pk=None):
        """The integration's latest raw payloads and how each alert in them was mapped (paged)."""
        integration = self.get_object()
        page = self.paginate_queryset(
            Payload.objects.filter(integration=integration).order_by("-received_at", "-id")
        )
        return self.get_paginated_response(PayloadSerializer(page, many=True).data)


class RuleSerializer(serializers.ModelSerializer):
    integration = ScopedPrimaryKeyRelatedField(queryset=Integration.objects.all())
    sample = serializers.JSONField(
        write_only=True, required=False, help_text="labels to try the rule on (default: the latest alert's)"
    )
    version = VersionField()

    class Meta:
        model = MappingRule
        fields = ["id", "integration", "position", "label", "field", "sample", "version"]


class RuleViewSet(RecordViewSet):
    """Mapping rules, ordered by `position`; one whose label is empty in the sample is refused (400 naming
    `label`, with the sample)."""

    queryset = MappingRule.objects.select_related("integration")
    serializer_class = RuleSerializer
    service = services
    filterset_class = RuleFilter
    ordering_fields = ["id", "position"]

    def update_record(self, instance, data, version):
        data.pop("integration", None)
        return services.update_rule(instance, actor=self.request.user, expected_version=version, **data)


class AlertEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertEvent
        fields = ["at", "kind", "from_state", "to_state", "actor_name", "data"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True, default=None)
    events = AlertEventSerializer(many=True, read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "unit",
            "integration",
            "fingerprint",
            "name",
            "severity",
            "status",
            "labels",
            "annotations",
            "starts_at",
            "ends_at",
            "first_seen_at",
            "last_seen_at",
            "repeat_count",
            "stale_after",
            "match",
            "match_label",
            "match_value",
            "item",
            "item_code",
            "incident",
            "source_url",
            "events",
        ]
        read_only_fields = fields


class MapSerializer(serializers.Serializer):
    item = ScopedPrimaryKeyRelatedField(queryset=Item.objects.all())


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Alerts are machine data: read here, written by the intake; `map` puts a waiting one (and its
    siblings) on an item."""

    queryset = Alert.objects.select_related("item").prefetch_related(
        Prefetch("events", queryset=AlertEvent.objects.order_by("at", "id"))
    )
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    search_fields = ["name", "match_value"]
    ordering_fields = ["id", "last_seen_at", "first_seen_at", "status"]

    @extend_schema(
        request=MapSerializer,
        responses=inline_serializer(
            "MappedAlerts", {"mapped": serializers.ListField(child=serializers.IntegerField())}
        ),
    )
    @action(detail=True, methods=["post"], serializer_class=MapSerializer)
    def map(self, request, pk=None):
        """Map this waiting alert, and every waiting sibling (same label value), to `item`."""
        alert = self.get_object()
        data = MapSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        mapped = services.map_alert(alert, data.validated_data["item"], actor=request.user)
        return Response({"mapped": mapped})


class UnmatchedViewSet(AlertViewSet):
    """The unmatched queue: alerts that matched no item or several, oldest first."""

    queryset = AlertViewSet.queryset.filter(match__in=WAITING).order_by("first_seen_at", "id")
