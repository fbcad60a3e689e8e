from rest_framework.routers import SimpleRouter

from . import api

app_name = "problems"

# The problems sit at the root: /api/problems/{id}/transition/, /api/problems/log/ …
router = SimpleRouter()
router.register("", api.ProblemViewSet, basename="problem")
urlpatterns = router.urls
