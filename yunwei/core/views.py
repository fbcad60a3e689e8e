"""System API: ask a worker for a heartbeat and see when one was last seen (Art. 3)."""

import uuid

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import scoping
from .models import WorkerHeartbeat
from .tasks import record_worker_heartbeat


class IsGroupAdmin(permissions.BasePermission):
    message = _("Only a group system admin may do this.")

    def has_permission(self, request, view) -> bool:
        return scoping.access_of(request.user).is_group_admin


class HeartbeatRequestedSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Look for this token with GET ?token=…"))


class HeartbeatStatusSerializer(serializers.Serializer):
    token = serializers.CharField(allow_null=True)
    seen = serializers.BooleanField(
        help_text=_("A worker has recorded this heartbeat (or any, without token).")
    )
    hostname = serializers.CharField(allow_null=True, help_text=_("Node name of the worker that ran it."))
    pid = serializers.IntegerField(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)


class HeartbeatView(APIView):
    """POST queues a heartbeat task with a fresh token; GET tells whether a worker has run it."""

    permission_classes = [permissions.IsAuthenticated, IsGroupAdmin]

    @extend_schema(
        operation_id="system_heartbeat_status",
        parameters=[OpenApiParameter("token", str, description=_("Token from POST; omit for the latest."))],
        responses=HeartbeatStatusSerializer,
    )
    def get(self, request):
        token = request.query_params.get("token", "")
        heartbeats = WorkerHeartbeat.objects.order_by("-at", "-pk")
        if token:
            heartbeats = heartbeats.filter(token=token)
        latest = heartbeats.first()
        body = {
            "token": token or (latest.token if latest else None),
            "seen": latest is not None,
            "hostname": latest.hostname if latest else None,
            "pid": latest.pid if latest else None,
            "at": latest.at if latest else None,
        }
        return Response(HeartbeatStatusSerializer(body).data)

    @extend_schema(
        operation_id="system_heartbeat_request", request=None, responses={202: HeartbeatRequestedSerializer}
    )
    def post(self, request):
        token = uuid.uuid4().hex
        # Queued only once the request's transaction (if any) commits, like every task.
        transaction.on_commit(lambda: record_worker_heartbeat.delay(token), robust=True)
        return Response(HeartbeatRequestedSerializer({"token": token}).data, status=status.HTTP_202_ACCEPTED)
