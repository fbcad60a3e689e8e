from rest_framework.routers import SimpleRouter

from . import api

app_name = "servicedesk"

router = SimpleRouter()
router.register("requests", api.RequestViewSet, basename="request")
router.register("types", api.RequestTypeViewSet, basename="type")
router.register("templates", api.ReplyTemplateViewSet, basename="template")
router.register("calendar", api.CalendarViewSet, basename="calendar")
urlpatterns = router.urls
