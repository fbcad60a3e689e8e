from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "yunwei.reports"
    label = "reports"
