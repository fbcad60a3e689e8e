from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "yunwei.problems"
    label = "problems"
