"""Read-only REST API of the audit log (Art. 11); only group system admins see any event."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, serializers, viewsets

from . import services
from .filters import AuditEventFilter
from .models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "seq", "at", "actor", "actor_name", "action", "action_label", "object_type", "object_id",
            "object_repr", "unit_id", "before", "after", "comment", "prev_hash", "hash",
        ]  # fmt: skip
        read_only_fields = fields


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
