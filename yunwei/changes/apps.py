from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "yunwei.changes"
    label = "changes"
