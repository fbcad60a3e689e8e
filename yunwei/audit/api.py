"""Read-only REST API of the audit log (Art. 11); only group system admins see any event."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import filters, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import services
from .filters import AuditEventFilter
from .models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    """Phone numbers and e-mail addresses in `before`/`after` leave the server masked (Art. 11);
    `reveal` un-masks them, audited. `hash` is over the stored, un-masked values. An event just written
    is listed unsealed for a moment: `sealed` false, no `seq` and blank hashes until the sealer chains it;
    only sealed events are addressed by number."""

    action_label = serializers.CharField(source="get_action_display", read_only=True)
    personal_data_masked = serializers.SerializerMethodField()
    sealed = serializers.BooleanField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "seq", "at", "actor", "actor_name", "action", "action_label", "object_type", "object_id",
            "object_repr", "unit_id", "before", "after", "personal_data_masked", "comment", "prev_hash",
            "hash", "sealed",
        ]  # fmt: skip
        read_only_fields = fields

    def get_personal_data_masked(self, event) -> bool:
        return services.holds_personal_data(event)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["before"] = services.masked(data["before"])
        data["after"] = services.masked(data["after"])
        return data


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Audit events, newest first; addressed by their number (`seq`)."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    lookup_field = "seq"
    lookup_value_regex = r"\d+"
    # The search is the filter set's own `search`, the same one the page uses.
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]
    filterset_class = AuditEventFilter
    ordering_fields = ["seq", "at"]
    ordering = ["-seq"]

    def get_queryset(self):
        # Others get an empty list and 404 on every event, like any record they may not see.
        return super().get_queryset() if services.can_view(self.request.user) else AuditEvent.objects.none()

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "AuditEventPersonalData", {"before": serializers.JSONField(), "after": serializers.JSONField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, seq=None):
        """The event's before and after un-masked; the viewing is written to the audit log."""
        return Response(services.reveal_event(self.get_object(), actor=request.user))
