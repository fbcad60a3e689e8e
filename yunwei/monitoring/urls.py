"""Pages of monitoring, under /monitoring/."""

from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("", views.heartbeat_list, name="heartbeat-list"),
    path("heartbeats/new/", views.heartbeat_create, name="heartbeat-create"),
    path("heartbeats/<int:pk>/", views.heartbeat_detail, name="heartbeat-detail"),
    path("heartbeats/<int:pk>/edit/", views.heartbeat_edit, name="heartbeat-edit"),
    path("heartbeats/<int:pk>/delete/", views.heartbeat_delete, name="heartbeat-delete"),
    path("backup-log/", views.backup_log, name="backup-log"),
]
