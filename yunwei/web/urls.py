from django.urls import path

from . import saved, status, views, wall

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links; the icon is a static file.
    path("favicon.ico", views.favicon, name="favicon"),
    path("wall/", wall.wall, name="wall"),
    path("saved-filters/", saved.save, name="saved-filter-save"),
    path("saved-filters/<int:pk>/delete/", saved.delete, name="saved-filter-delete"),
    path("status/<slug:code>/", status.status_page, name="status-page"),
    path("status-pages/", status.status_settings, name="status-settings"),
    path("status-pages/<int:pk>/", status.status_toggle, name="status-toggle"),
]
