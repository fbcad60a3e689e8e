"""Pages of the monthly report, under /reports/."""

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.archive, name="archive"),
    path("open/", views.open_page, name="open"),
    path("templates/", views.templates, name="templates"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/progress.json", views.progress, name="progress"),
    path("<int:pk>/generate/", views.generate, name="generate"),
    path("<int:pk>/text/", views.text, name="text"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/correct/", views.correct, name="correct"),
    path("<int:pk>/download/<str:fmt>/", views.download, name="download"),
]
