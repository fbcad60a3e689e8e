"""Pages of alert intake, under /alerts/."""

from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_list, name="alert-list"),
    path("unmatched/", views.unmatched, name="unmatched"),
    path("<int:pk>/", views.alert_detail, name="alert-detail"),
    path("<int:pk>/map/", views.alert_map, name="alert-map"),
    path("integrations/", views.integration_list, name="integration-list"),
    path("integrations/new/", views.integration_create, name="integration-create"),
    path("integrations/<int:pk>/", views.integration_detail, name="integration-detail"),
    path("integrations/<int:pk>/edit/", views.integration_edit, name="integration-edit"),
    path("integrations/<int:pk>/rotate/", views.integration_rotate, name="integration-rotate"),
    path("integrations/<int:pk>/delete/", views.integration_delete, name="integration-delete"),
    path("integrations/<int:pk>/rules/new/", views.rule_create, name="rule-create"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule-edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule-delete"),
]
