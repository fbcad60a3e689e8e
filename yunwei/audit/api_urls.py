from rest_framework.routers import DefaultRouter

from . import api

app_name = "audit"

router = DefaultRouter()
router.register("events", api.AuditEventViewSet, basename="event")
urlpatterns = router.urls
