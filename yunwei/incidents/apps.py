from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "yunwei.incidents"
    label = "incidents"
