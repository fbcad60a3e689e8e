from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="event-list"),
    path("export/", views.event_export, name="event-export"),
    path("<int:seq>/", views.event_detail, name="event-detail"),
    path("<int:seq>/reveal/", views.event_reveal, name="event-reveal"),
    path("verify/", views.verify, name="verify"),
]
