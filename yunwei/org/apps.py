from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "yunwei.org"
    label = "org"
