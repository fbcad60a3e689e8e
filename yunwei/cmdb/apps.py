from django.apps import AppConfig


class CmdbConfig(AppConfig):
    name = "yunwei.cmdb"
    label = "cmdb"
