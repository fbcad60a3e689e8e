"""Pages of monitoring, under /monitoring/."""

from django.urls import path

from . import template_views, views

app_name = "monitoring"
urlpatterns = [
    path("", views.heartbeat_list, name="heartbeat-list"),
    path("heartbeats/new/", views.heartbeat_create, name="heartbeat-create"),
    path("heartbeats/<int:pk>/", views.heartbeat_detail, name="heartbeat-detail"),
    path("heartbeats/<int:pk>/edit/", views.heartbeat_edit, name="heartbeat-edit"),
    path("heartbeats/<int:pk>/delete/", views.heartbeat_delete, name="heartbeat-delete"),
    path("backup-log/", views.backup_log, name="backup-log"),
    path("checks/", views.check_list, name="check-list"),
    path("checks/new/", views.check_create, name="check-create"),
    path("checks/<int:pk>/", views.check_detail, name="check-detail"),
    path("checks/<int:pk>/edit/", views.check_edit, name="check-edit"),
    path("checks/<int:pk>/run/", views.check_run, name="check-run"),
    path("checks/<int:pk>/delete/", views.check_delete, name="check-delete"),
    path("check-templates/", template_views.checktemplate_list, name="checktemplate-list"),
    path("check-templates/new/", template_views.checktemplate_create, name="checktemplate-create"),
    path("check-templates/<int:pk>/", template_views.checktemplate_detail, name="checktemplate-detail"),
    path("check-templates/<int:pk>/edit/", template_views.checktemplate_edit, name="checktemplate-edit"),
    path(
        "check-templates/<int:pk>/delete/", template_views.checktemplate_delete, name="checktemplate-delete"
    ),
    path("check-templates/<int:pk>/apply/", template_views.checktemplate_apply, name="checktemplate-apply"),
]

# Indicators (运行指标, Art. 3 (1)): their pages live in indicator_views.
from . import indicator_views  # noqa: E402

urlpatterns += [
    path("indicators/", indicator_views.indicator_list, name="indicator-list"),
    path("indicators/new/", indicator_views.indicator_create, name="indicator-create"),
    path("indicators/breaches/", indicator_views.breach_list, name="indicator-breaches"),
    path("indicators/<int:pk>/", indicator_views.indicator_detail, name="indicator-detail"),
    path("indicators/<int:pk>/edit/", indicator_views.indicator_edit, name="indicator-edit"),
    path("indicators/<int:pk>/delete/", indicator_views.indicator_delete, name="indicator-delete"),
]
