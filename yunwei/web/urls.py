from django.urls import path

from . import views, wall

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("wall/", wall.wall, name="wall"),
]
