from rest_framework.routers import DefaultRouter

from . import api, indicator_api, template_api

app_name = "monitoring"

router = DefaultRouter()
router.register("heartbeats", api.HeartbeatViewSet)
router.register("runs", api.RunViewSet)
router.register("checks", api.CheckViewSet)
router.register("backup-log", api.BackupLogViewSet, basename="backup-log")
router.register("check-templates", template_api.CheckTemplateViewSet)
router.register("indicators", indicator_api.IndicatorViewSet)
router.register("indicator-breaches", indicator_api.BreachViewSet, basename="indicator-breach")
urlpatterns = router.urls
