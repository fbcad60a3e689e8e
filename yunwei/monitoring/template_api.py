"""REST API of check templates (Art. 3): CRUD through the services, scoped like every record (another
unit's template is a 404 and in no list), and `apply`, answering what was created, brought up to date
and skipped (with the placeholder or the reason)."""

import django_filters
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from yunwei.cmdb.models import ItemType
from yunwei.core.api import RecordViewSet, ScopedPrimaryKeyRelatedField, VersionField
from yunwei.org.models import Unit

from . import services
from .api import SPEC_SECRETS_HELP, SecretSpecMixin
from .choices import CheckKind
from .models import CheckTemplate


class CheckTemplateFilter(django_filters.FilterSet):
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=Unit.objects.all())
    item_type = django_filters.ModelChoiceFilter(label=_("Item type"), queryset=ItemType.objects.all())
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=CheckKind.choices)
    enabled = django_filters.BooleanFilter(label=_("Enabled"))

    class Meta:
        model = CheckTemplate
        fields = ["unit", "item_type", "kind", "enabled"]


class CheckTemplateSerializer(SecretSpecMixin, serializers.ModelSerializer):
    unit = ScopedPrimaryKeyRelatedField(
        queryset=Unit.objects.all(), help_text="the unit owning it (the group's applies to every unit)"
    )
    item_type = serializers.PrimaryKeyRelatedField(queryset=ItemType.objects.all())
    spec = serializers.JSONField(
        help_text="the probe's fields for its kind, with placeholders {host} {ip} {hostname} {code} {name} "
        "{attr.<code>} (docs/probes.md, Templates); credentials (password, community, auth_key, "
        "priv_key) are write-only"
    )
    spec_secrets = serializers.SerializerMethodField(help_text=SPEC_SECRETS_HELP)
    checks = serializers.IntegerField(source="check_count", read_only=True, help_text="checks made from it")
    version = VersionField()

    class Meta:
        model = CheckTemplate
        fields = [
            "id",
            "unit",
            "item_type",
            "name",
            "kind",
            "spec",
            "spec_secrets",
            "interval",
            "retry_interval",
            "fail_after",
            "recover_after",
            "enabled",
            "description",
            "checks",
            "version",
        ]


class AppliedCheckSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    item = serializers.IntegerField(source="item_id")
    item_code = serializers.CharField(source="item.code")
    unit = serializers.IntegerField(source="unit_id")
    name = serializers.CharField()


class SkippedItemSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item.pk")
    item_code = serializers.CharField(source="item.code")
    unit = serializers.IntegerField(source="item.unit_id")
    placeholder = serializers.CharField(help_text="the placeholder that came out empty, or empty")
    reason = serializers.CharField(source="why")


class CheckTemplateViewSet(RecordViewSet):
    """Check templates: CRUD through the services (an edit reaches every check made from the template);
    `apply` makes the missing checks of the type's items in scope and reports the items skipped."""

    # A count groups the rows, and Django drops the model's ordering from a grouped query: say it again.
    queryset = (
        CheckTemplate.objects.select_related("unit", "item_type")
        .annotate(check_count=Count("checks"))
        .order_by("unit_id", "name", "id")
    )
    serializer_class = CheckTemplateSerializer
    service = services
    filterset_class = CheckTemplateFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name"]

    def create_record(self, data):
        record = super().create_record(data)
        record.check_count = 0
        return record

    def update_record(self, instance, data, version):
        record = super().update_record(instance, data, version)
        record.check_count = record.checks.count()
        return record

    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """A check for every item of the type in scope that has none from the template; the items left
        out, with the placeholder that came out empty or the probe's reason."""
        template = self.get_object()
        applied = services.apply_template(template, actor=request.user)
        return Response(
            {
                "created": AppliedCheckSerializer(applied.created, many=True).data,
                "updated": AppliedCheckSerializer(applied.updated, many=True).data,
                "skipped": SkippedItemSerializer(applied.skipped, many=True).data,
            }
        )
