from django.apps import AppConfig


class LogbookConfig(AppConfig):
    name = "yunwei.logbook"
    label = "logbook"
