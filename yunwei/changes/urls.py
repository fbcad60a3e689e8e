"""Pages of change management, under /changes/."""

from django.urls import path

from . import recurring_views, views

app_name = "changes"
urlpatterns = [
    path("", views.change_list, name="change-list"),
    path("export/", views.change_export, name="change-export"),
    path("bulk/", views.change_bulk, name="change-bulk"),
    path("new/", views.change_create, name="change-create"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("templates/", views.template_list, name="template-list"),
    path("templates/<int:pk>/", views.template_edit, name="template-edit"),
    path("freezes/", views.freeze_list, name="freeze-list"),
    path("freezes/<int:pk>/", views.freeze_edit, name="freeze-edit"),
    path("recurring-windows/", recurring_views.recurring_list, name="recurring-list"),
    path("recurring-windows/<int:pk>/", recurring_views.recurring_edit, name="recurring-edit"),
    path("recurring-windows/<int:pk>/delete/", recurring_views.recurring_delete, name="recurring-delete"),
    path("<int:pk>/", views.change_detail, name="change-detail"),
    path("<int:pk>/edit/", views.change_edit, name="change-edit"),
    path("<int:pk>/transition/", views.change_transition, name="change-transition"),
    path("<int:pk>/decide/", views.change_decide, name="change-decide"),
    path("<int:pk>/exception/", views.change_exception, name="change-exception"),
    path("<int:pk>/reschedule/", views.change_reschedule, name="change-reschedule"),
    path("<int:pk>/apply-inventory/", views.change_apply_inventory, name="change-apply-inventory"),
]
