from rest_framework.routers import SimpleRouter

from . import api

app_name = "changes"

catalogue = SimpleRouter()
catalogue.register("templates", api.TemplateViewSet, basename="template")
catalogue.register("freezes", api.FreezeViewSet, basename="freeze")
catalogue.register("maintenance-windows", api.MaintenanceWindowViewSet, basename="maintenancewindow")
catalogue.register("recurring-windows", api.RecurringWindowViewSet, basename="recurringwindow")
# The changes themselves sit at the root: /api/changes/{id}/transition/, /api/changes/calendar/.
changes = SimpleRouter()
changes.register("", api.ChangeViewSet, basename="change")
urlpatterns = [*catalogue.urls, *changes.urls]
