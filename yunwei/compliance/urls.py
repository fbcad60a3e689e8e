"""Pages of compliance, under /compliance/."""

from django.urls import path

from . import views

app_name = "compliance"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("articles/<int:number>/", views.article, name="article"),
    path("results/<int:pk>/exempt/", views.exempt, name="result-exempt"),
    path("findings/<int:pk>/rectify/", views.finding_rectify, name="finding-rectify"),
    path("exemptions/", views.exemption_list, name="exemption-list"),
    path("exemptions/<int:pk>/decide/", views.decide, name="exemption-decide"),
    path("run/", views.run_all, name="run-all"),
    path("units/<int:pk>/run/", views.run_unit, name="unit-run"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
]
