from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yunwei.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from django.db import models
        from rest_framework import serializers

        from .api import DateTimeField

        # Every API's model date-times take the years Yunwei holds data for (core.api.DateTimeField).
        serializers.ModelSerializer.serializer_field_mapping[models.DateTimeField] = DateTimeField
