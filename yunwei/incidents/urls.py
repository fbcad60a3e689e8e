"""Pages of fault handling, under /incidents/."""

from django.urls import path

from . import views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="incident-list"),
    path("export/", views.incident_export, name="incident-export"),
    path("bulk/", views.incident_bulk, name="incident-bulk"),
    path("duty/", views.duty, name="duty"),
    path("report/", views.report, name="report"),
    path("<int:pk>/", views.incident_detail, name="incident-detail"),
    path("<int:pk>/report.docx", views.incident_report_docx, name="incident-report-docx"),
    path("<int:pk>/transition/", views.incident_transition, name="incident-transition"),
    path("<int:pk>/tick/", views.incident_tick, name="incident-tick"),
    path("<int:pk>/plan/", views.incident_plan, name="incident-plan"),
    path("<int:pk>/replace-plan/", views.incident_replace_plan, name="incident-replace-plan"),
    path("<int:pk>/notice/", views.incident_notice, name="incident-notice"),
    path("<int:pk>/escalate/", views.incident_escalate, name="incident-escalate"),
    path("<int:pk>/grade/", views.incident_grade, name="incident-grade"),
    path("<int:pk>/assign/", views.incident_assign, name="incident-assign"),
    path("<int:pk>/grade/proposal/", views.incident_grade_proposal, name="incident-grade-proposal"),
    path("<int:pk>/grade/decision/", views.incident_grade_decision, name="incident-grade-decision"),
    path("correlation/", views.correlation_settings, name="correlation-settings"),
    path("plans/", views.plan_list, name="plan-list"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("drills/", views.drill_list, name="drill-list"),
    path("drills/new/", views.drill_create, name="drill-create"),
    path("drills/<int:pk>/", views.drill_detail, name="drill-detail"),
]
