from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

app_name = "auth"

router = SimpleRouter()
router.register("tokens", api.TokenViewSet)
urlpatterns = [
    path("token/", api.TokenView.as_view(), name="token"),
    path("me/", api.MeView.as_view(), name="me"),
    *router.urls,
]
