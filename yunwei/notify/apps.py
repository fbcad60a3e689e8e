from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "yunwei.notify"
    label = "notify"
