from rest_framework.routers import DefaultRouter

from . import api

app_name = "reports"

router = DefaultRouter()
router.register("reports", api.ReportViewSet)
urlpatterns = router.urls
