from django.urls import path

from . import charts, export_jobs, inbox, saved, status, views, wall

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("my/", views.my_work_page, name="my-work"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:pk>/open/", inbox.inbox_open, name="inbox-open"),
    path("inbox/read-all/", inbox.inbox_read_all, name="inbox-read-all"),
    path("charts/<slug:name>.json", charts.chart_data, name="chart-data"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links; the icon is a static file.
    path("favicon.ico", views.favicon, name="favicon"),
    path("wall/", wall.wall, name="wall"),
    path("exports/<int:pk>/", export_jobs.job_page, name="export-job"),
    path("exports/<int:pk>/status.json", export_jobs.job_status, name="export-job-status"),
    path("exports/<int:pk>/download/", export_jobs.job_download, name="export-job-download"),
    path("saved-filters/", saved.save, name="saved-filter-save"),
    path("saved-filters/<int:pk>/delete/", saved.delete, name="saved-filter-delete"),
    path("status/<slug:code>/", status.status_page, name="status-page"),
    path("status-pages/", status.status_settings, name="status-settings"),
    path("status-pages/<int:pk>/", status.status_toggle, name="status-toggle"),
]
