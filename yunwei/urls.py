from django.http import JsonResponse
from django.urls import include, path
from django.utils.translation import gettext as _
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

api_patterns = [
    path("auth/", include("yunwei.accounts.api_urls")),
    path("org/", include("yunwei.org.api_urls")),
    path("cmdb/", include("yunwei.cmdb.api_urls")),
    path("incidents/", include("yunwei.incidents.api_urls")),
    path("notify/", include("yunwei.notify.api_urls")),
    path("problems/", include("yunwei.problems.api_urls")),
    path("changes/", include("yunwei.changes.api_urls")),
    path("monitoring/", include("yunwei.monitoring.api_urls")),
    path("alerts/", include("yunwei.alerts.api_urls")),
    path("logbook/", include("yunwei.logbook.api_urls")),
    path("compliance/", include("yunwei.compliance.api_urls")),
    path("reports/", include("yunwei.reports.api_urls")),
    path("servicedesk/", include("yunwei.servicedesk.api_urls")),
    path("knowledge/", include("yunwei.knowledge.api_urls")),
    path("audit/", include("yunwei.audit.api_urls")),
    path("system/", include("yunwei.core.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("api/", include((api_patterns, "api"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("yunwei.accounts.urls")),
    path("org/", include("yunwei.org.urls")),
    path("cmdb/", include("yunwei.cmdb.urls")),
    path("incidents/", include("yunwei.incidents.urls")),
    path("notify/", include("yunwei.notify.urls")),
    path("problems/", include("yunwei.problems.urls")),
    path("changes/", include("yunwei.changes.urls")),
    path("monitoring/", include("yunwei.monitoring.urls")),
    path("ping/", include("yunwei.monitoring.ping_urls")),
    path("alerts/", include("yunwei.alerts.urls")),
    path("servicedesk/", include("yunwei.servicedesk.urls")),
    path("intake/", include("yunwei.alerts.intake_urls")),
    path("logbook/", include("yunwei.logbook.urls")),
    path("compliance/", include("yunwei.compliance.urls")),
    path("reports/", include("yunwei.reports.urls")),
    path("audit/", include("yunwei.audit.urls")),
    path("knowledge/", include("yunwei.knowledge.urls")),
    path("", include("yunwei.web.urls")),
]


# An API client gets JSON for an address that does not exist or a failure, like every other API error.
def not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Server error.")}, status=500)
    return defaults.server_error(request)


handler404 = not_found
handler500 = server_error
