from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "yunwei.audit"
    label = "audit"
