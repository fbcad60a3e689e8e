from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

app_name = "incidents"

catalogue = SimpleRouter()
catalogue.register("plans", api.PlanViewSet, basename="plan")
catalogue.register("grading-rules", api.GradingRuleViewSet, basename="gradingrule")
catalogue.register("sla-targets", api.SlaTargetViewSet, basename="slatarget")
catalogue.register("drills", api.DrillViewSet, basename="drill")
catalogue.register("signals", api.SignalViewSet, basename="signal")
# The incidents themselves sit at the root: /api/incidents/{id}/transition/.
incidents = SimpleRouter()
incidents.register("", api.IncidentViewSet, basename="incident")
urlpatterns = [
    path("correlation-settings/", api.CorrelationSettingsView.as_view(), name="correlation-settings"),
    *catalogue.urls,
    *incidents.urls,
]
