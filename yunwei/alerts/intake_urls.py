"""The alert intake addresses, under /intake/ (no log-in: the token is the credential)."""

from django.urls import path

from . import intake

app_name = "intake"
urlpatterns = [
    path("<str:kind>/", intake.receive, name="receive-bearer"),
    path("<str:kind>/<str:token>/", intake.receive, name="receive"),
]
