from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api

app_name = "notify"

router = DefaultRouter()
router.register("channels", api.ChannelViewSet)
router.register("deliveries", api.DeliveryViewSet)
router.register("allowed-addresses", api.AllowedAddressViewSet)
urlpatterns = [
    path("preferences/me/", api.MyPreferenceView.as_view(), name="preference-me"),
    *router.urls,
]
