from rest_framework.routers import DefaultRouter

from . import api

app_name = "org"

router = DefaultRouter()
router.register("units", api.UnitViewSet)
router.register("teams", api.TeamViewSet)
router.register("people", api.PersonViewSet)
router.register("roles", api.RoleAssignmentViewSet)
router.register("vendors", api.VendorViewSet)
router.register("vendor-engineers", api.VendorEngineerViewSet)
router.register("contracts", api.ContractViewSet)
urlpatterns = router.urls
