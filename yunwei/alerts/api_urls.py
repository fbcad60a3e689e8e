from rest_framework.routers import DefaultRouter

from . import api

app_name = "alerts"

router = DefaultRouter()
router.register("integrations", api.IntegrationViewSet)
router.register("rules", api.RuleViewSet)
router.register("alerts", api.AlertViewSet)
router.register("unmatched", api.UnmatchedViewSet, basename="unmatched")
urlpatterns = router.urls
