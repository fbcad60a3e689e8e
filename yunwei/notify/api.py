"""REST API of notify: channels (secrets write-only), their test, deliveries and own preferences."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from yunwei.core import scoping
from yunwei.core.api import RecordViewSet, ScopedViewSet, VersionField
from yunwei.core.views import IsGroupAdmin

from . import services
from .choices import ChannelKind, Language
from .filters import ChannelFilter, DeliveryFilter
from .models import AllowedAddress, Channel, Delivery


class ChannelSerializer(serializers.ModelSerializer):
    unit = serializers.IntegerField(source="unit_id", help_text=_("Unit the channel belongs to"))
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    target = serializers.JSONField(
        help_text=_("SMTP settings (host, port, use_tls, username, password, from) or the robot/webhook URL")
    )
    secret = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=200, help_text=_("Write-only")
    )
    secret_set = serializers.SerializerMethodField()
    version = VersionField()

    class Meta:
        model = Channel
        validators = []  # uniqueness is the service's, with a message naming the field
        fields = [
            "id",
            "unit",
            "name",
            "kind",
            "target",
            "secret",
            "secret_set",
            "enabled",
            "announcements",
            "version",
        ]

    def validate_unit(self, value):
        request = self.context.get("request")
        if not scoping.access_of(request.user if request else None).can_manage_unit(value):
            # Another unit's number reads as missing, as for every scoped reference.
            raise serializers.ValidationError(
                _("Invalid pk “%(pk)s” - object does not exist.") % {"pk": value}
            )
        return value

    def get_secret_set(self, channel) -> bool:
        return bool(channel.secret)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["target"] = services.mask_target(instance.kind, instance.target)
        return data


class ChannelViewSet(RecordViewSet):
    queryset = Channel.objects.all()
    serializer_class = ChannelSerializer
    service = services
    filterset_class = ChannelFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "kind", "unit_id"]

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "ChannelTestResult", {"ok": serializers.BooleanField(), "reason": serializers.CharField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a test message now; answers only whether it went out, or why not."""
        ok, reason = services.test_channel(self.get_object(), actor=request.user)
        return Response({"ok": ok, "reason": str(reason)})


class DeliverySerializer(serializers.ModelSerializer):
    unit = serializers.IntegerField(source="unit_id", read_only=True, allow_null=True)
    subject = serializers.CharField(source="notice.subject_zh", read_only=True)
    digest_error = serializers.SerializerMethodField(
        help_text=_("Why the digest this delivery was merged into failed, when it did")
    )
    recipient_name = serializers.CharField(read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_key",
            "unit",
            "subject",
            "channel",
            "recipient_kind",
            "recipient",
            "user",
            "recipient_name",
            "language",
            "state",
            "attempts",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "digest",
            "digest_error",
            "created_at",
        ]
        read_only_fields = fields

    def get_digest_error(self, delivery) -> str:
        digest = delivery.failed_digest
        return digest.last_error if digest is not None else ""


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Every delivery with its outcome (sent / failed / why), scoped by the notice's unit."""

    queryset = Delivery.objects.select_related("notice", "digest", "channel", "user__person")
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    search_fields = ["event_key", "recipient"]
    ordering_fields = ["id", "created_at", "sent_at", "state"]

    @extend_schema(request=None, responses=DeliverySerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Send a failed delivery again (409 with the reason when it has not failed)."""
        delivery = services.retry_delivery(self.get_object(), actor=request.user)
        return Response(self.get_serializer(delivery).data)


class AllowedAddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = AllowedAddress
        fields = ["id", "value", "note", "created_at"]
        read_only_fields = ["created_at"]
        # Uniqueness is not an error here: allowing an address twice keeps the one entry.
        extra_kwargs = {"value": {"validators": []}}


class AllowedAddressViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The group's allow-list of internal addresses channels may reach (group system admins only)."""

    queryset = AllowedAddress.objects.all()
    serializer_class = AllowedAddressSerializer
    permission_classes = [permissions.IsAuthenticated, IsGroupAdmin]
    search_fields = ["value", "note"]
    ordering_fields = ["value", "created_at"]

    def perform_create(self, serializer):
        serializer.instance = services.allow_address(actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.disallow_address(instance, actor=self.request.user)


class PreferenceSerializer(serializers.Serializer):
    channels = serializers.ListField(
        child=serializers.CharField(max_length=20),
        help_text=_('"email" (your own address) and ids of channels you can see'),
    )
    quiet_start = serializers.TimeField(allow_null=True, required=False)
    quiet_end = serializers.TimeField(allow_null=True, required=False)
    language = serializers.ChoiceField(choices=Language.choices, default=Language.ZH_HANS)


class MyPreferenceView(APIView):
    """The caller's own notification preferences."""

    @extend_schema(responses=PreferenceSerializer)
    def get(self, request):
        return Response(PreferenceSerializer(services.preference_of(request.user)).data)

    @extend_schema(request=PreferenceSerializer, responses=PreferenceSerializer)
    def put(self, request):
        serializer = PreferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preference = services.set_preferences(request.user, **serializer.validated_data)
        return Response(PreferenceSerializer(preference).data)
