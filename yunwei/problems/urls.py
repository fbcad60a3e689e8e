"""Pages of the problem database, under /problems/."""

from django.urls import path

from . import views

app_name = "problems"
urlpatterns = [
    path("", views.problem_list, name="problem-list"),
    path("archive/", views.archive, name="archive"),
    path("export/", views.problem_export, name="problem-export"),
    path("bulk/", views.problem_bulk, name="problem-bulk"),
    path("log/", views.tracking_log, name="log"),
    path("new/", views.problem_create, name="problem-create"),
    path("<int:pk>/", views.problem_detail, name="problem-detail"),
    path("<int:pk>/edit/", views.problem_edit, name="problem-edit"),
    path("<int:pk>/transition/", views.problem_transition, name="problem-transition"),
    path("<int:pk>/steps/", views.problem_step, name="problem-step"),
    path("<int:pk>/tick/", views.problem_tick, name="problem-tick"),
    path("<int:pk>/link/", views.problem_link, name="problem-link"),
    path("<int:pk>/publish/", views.problem_publish, name="problem-publish"),
    path("incidents/<int:pk>/close/", views.incident_close, name="incident-close"),
]
