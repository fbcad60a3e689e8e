from rest_framework.routers import SimpleRouter

from . import api

app_name = "knowledge"

router = SimpleRouter()
router.register("articles", api.ArticleViewSet, basename="article")
urlpatterns = router.urls
