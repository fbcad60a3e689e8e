from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api

app_name = "cmdb"

router = DefaultRouter()
router.register("types", api.ItemTypeViewSet)
router.register("relation-types", api.RelationTypeViewSet)
router.register("items", api.ItemViewSet)
router.register("relations", api.RelationViewSet)
urlpatterns = [
    path("impact/", api.BlastRadiusView.as_view(), name="blast-radius"),
    *router.urls,
]
