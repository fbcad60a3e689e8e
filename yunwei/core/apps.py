from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yunwei.core"
    label = "core"
    verbose_name = "Core"
