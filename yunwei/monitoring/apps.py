from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "yunwei.monitoring"
    label = "monitoring"
