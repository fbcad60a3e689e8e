"""Pages of the service desk, under /servicedesk/."""

from django.urls import path

from . import views

app_name = "servicedesk"
urlpatterns = [
    path("", views.portal, name="portal"),
    path("new/<slug:code>/", views.request_create, name="request-create"),
    path("requests/", views.request_list, name="request-list"),
    path("queue/", views.queue, name="queue"),
    path("queue/assign/", views.bulk_assign, name="bulk-assign"),
    path("<int:pk>/", views.request_detail, name="request-detail"),
    path("<int:pk>/transition/", views.request_transition, name="request-transition"),
    path("<int:pk>/approve/", views.request_approve, name="request-approve"),
    path("<int:pk>/carry-out/", views.request_carry_out, name="request-carry-out"),
    path("<int:pk>/reply/", views.request_reply, name="request-reply"),
    path("<int:pk>/note/", views.request_note, name="request-note"),
    path("<int:pk>/rate/", views.request_rate, name="request-rate"),
    path("<int:pk>/assign/", views.request_assign, name="request-assign"),
    path("<int:pk>/incident/", views.request_incident, name="request-incident"),
    path("<int:pk>/change/", views.request_change, name="request-change"),
    path("<int:pk>/known-error/", views.request_known_error, name="request-known-error"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("catalogue/", views.type_list, name="type-list"),
    path("catalogue/new/", views.type_create, name="type-create"),
    path("catalogue/<int:pk>/edit/", views.type_edit, name="type-edit"),
    path("templates/", views.template_list, name="template-list"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template-delete"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/import/", views.calendar_import, name="calendar-import"),
    path("calendar/day/", views.calendar_day, name="calendar-day"),
    path("figures/", views.figures, name="figures"),
]
