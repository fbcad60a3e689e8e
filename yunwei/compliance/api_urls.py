from rest_framework.routers import DefaultRouter

from . import api

app_name = "compliance"

router = DefaultRouter()
router.register("results", api.ResultViewSet)
router.register("exemptions", api.ExemptionViewSet)
router.register("runs", api.RunViewSet, basename="run")
router.register("scores", api.ScoreViewSet, basename="score")
urlpatterns = router.urls
