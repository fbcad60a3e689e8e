from django.urls import path

from . import views

app_name = "system"
urlpatterns = [
    path("heartbeat/", views.HeartbeatView.as_view(), name="heartbeat"),
]
