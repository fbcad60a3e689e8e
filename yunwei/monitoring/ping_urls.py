"""The ping addresses of heartbeats, under /ping/ (Healthchecks' conventions)."""

from django.urls import path

from . import ping
from .choices import PingKind

app_name = "ping"
urlpatterns = [
    path("<uuid:uuid>", ping.ping, name="success"),
    path("<uuid:uuid>/start", ping.ping, {"kind": PingKind.START}, name="start"),
    path("<uuid:uuid>/fail", ping.ping, {"kind": PingKind.FAIL}, name="fail"),
    path("<uuid:uuid>/log", ping.ping, {"kind": PingKind.LOG}, name="log"),
    path("<uuid:uuid>/<int:exit_status>", ping.ping, name="exit-code"),
]
