from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "yunwei.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"

    def ready(self):
        from yunwei.core import calendar

        from . import services

        # Core sits below this app: it reaches the requests' due times only through this hook.
        calendar.on_change(services.recompute_due)
