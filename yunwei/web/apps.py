from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "yunwei.web"
    label = "web"
