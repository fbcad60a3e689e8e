"""REST API of the inventory: thin views over scoped querysets, cmdb.services and cmdb.impact (Art. 2)."""

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from yunwei.core.api import RecordViewSet, ScopedPrimaryKeyRelatedField, ScopedQuerysetMixin, VersionField
from yunwei.org.api import DomainListField, WritableUnitField
from yunwei.org.models import MaintenanceContract, Person, Team, Vendor

from . import excel, impact, services
from .choices import Direction
from .filters import ItemFilter, ItemTypeFilter, RelationFilter
from .models import Item, ItemType, Relation, RelationType

SEARCH_FIELDS = ["code", "name", "ip", "hostname"]


class ItemTypeSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text="The name in the reader's language")
    attributes = serializers.JSONField(
        required=False,
        help_text="List of {code, label, kind, required, choices}; kinds: "
        + ", ".join(["text", "int", "decimal", "bool", "date", "ip", "url", "choice"]),
    )
    version = VersionField()

    class Meta:
        model = ItemType
        validators = []  # uniqueness is the service's, with a message naming the field
        fields = ["id", "code", "name", "label", "domain", "attributes", "description", "version"]


class RelationTypeSerializer(serializers.ModelSerializer):
    source_domains = DomainListField(required=False)
    target_domains = DomainListField(required=False)
    source_types = serializers.ListField(child=serializers.CharField(), required=False)
    target_types = serializers.ListField(child=serializers.CharField(), required=False)
    version = VersionField()

    class Meta:
        model = RelationType
        validators = []
        fields = [
            "id",
            "code",
            "name",
            "inverse_name",
            "source_domains",
            "target_domains",
            "source_types",
            "target_types",
            "is_dependency",
            "version",
        ]


class ItemSerializer(serializers.ModelSerializer):
    unit = WritableUnitField()
    type = serializers.PrimaryKeyRelatedField(queryset=ItemType.objects.all())
    type_code = serializers.CharField(source="type.code", read_only=True)
    domain = serializers.CharField(read_only=True)
    owner_team = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    responsible = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    vendor = ScopedPrimaryKeyRelatedField(queryset=Vendor.objects.all(), required=False, allow_null=True)
    contract = ScopedPrimaryKeyRelatedField(
        queryset=MaintenanceContract.objects.all(), required=False, allow_null=True
    )
    attributes = serializers.JSONField(required=False, help_text="The type's own attributes: code → value")
    version = VersionField()

    class Meta:
        model = Item
        validators = []  # uniqueness in the unit is the service's, with a message naming the field
        fields = [
            "id",
            "code",
            "unit",
            "type",
            "type_code",
            "domain",
            "name",
            "status",
            "criticality",
            "owner_team",
            "responsible",
            "site",
            "room",
            "rack",
            "position",
            "vendor",
            "contract",
            "ip",
            "hostname",
            "attributes",
            "description",
            "version",
        ]


class RelationSerializer(serializers.ModelSerializer):
    source = ScopedPrimaryKeyRelatedField(queryset=Item.objects.all())
    target = ScopedPrimaryKeyRelatedField(queryset=Item.objects.all())
    type = serializers.PrimaryKeyRelatedField(queryset=RelationType.objects.all())
    type_code = serializers.CharField(source="type.code", read_only=True)
    unit = serializers.PrimaryKeyRelatedField(read_only=True)
    version = VersionField()

    class Meta:
        model = Relation
        validators = []
        fields = ["id", "source", "target", "type", "type_code", "unit", "note", "version"]


class ImpactRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.IntegerField(source="unit_id")
    type = serializers.IntegerField(source="type_id")
    domain = serializers.CharField()
    depth = serializers.IntegerField()
    path = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        help_text="Item ids from the start to this item; null for an item you may not see",
    )


class ImpactQuerySerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.DOWN)
    depth = serializers.IntegerField(min_value=1, max_value=impact.MAX_DEPTH, required=False, allow_null=True)


class BlastRadiusRequestSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=ScopedPrimaryKeyRelatedField(queryset=Item.objects.all()), min_length=1, max_length=500
    )
    depth = serializers.IntegerField(min_value=1, max_value=impact.MAX_DEPTH, required=False, allow_null=True)


class CatalogueViewSet(RecordViewSet):
    """The group's catalogue is shared by every unit: all may read it; the service lets only group admins
    change it."""

    def get_queryset(self):
        return super(ScopedQuerysetMixin, self).get_queryset()  # not unit records: nothing to scope


class ItemTypeViewSet(CatalogueViewSet):
    queryset = ItemType.objects.all()
    serializer_class = ItemTypeSerializer
    service = services
    filterset_class = ItemTypeFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "domain"]


class RelationTypeViewSet(CatalogueViewSet):
    queryset = RelationType.objects.all()
    serializer_class = RelationTypeSerializer
    service = services
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]


class ItemViewSet(RecordViewSet):
    queryset = Item.objects.select_related("type", "unit")
    serializer_class = ItemSerializer
    service = services
    filterset_class = ItemFilter
    search_fields = SEARCH_FIELDS
    ordering_fields = ["code", "name", "unit__code", "domain", "status", "updated_at"]

    @extend_schema(
        parameters=[ImpactQuerySerializer],
        responses=inline_serializer(
            "Impact",
            {
                "item": serializers.IntegerField(),
                "direction": serializers.CharField(),
                "depth": serializers.IntegerField(allow_null=True),
                "count": serializers.IntegerField(),
                "results": ImpactRowSerializer(many=True),
            },
        ),
    )
    @action(detail=True, methods=["get"])
    def impact(self, request, pk=None):
        """Down: what depends on this item (breaks if it fails). Up: what it depends on. Shortest paths."""
        item = self.get_object()
        query = ImpactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        direction, depth = query.validated_data["direction"], query.validated_data.get("depth")
        rows = impact.walk([item.pk], direction, depth, request.user)
        return Response(
            {
                "item": item.pk,
                "direction": direction,
                "depth": depth,
                "count": len(rows),
                "results": ImpactRowSerializer(rows, many=True).data,
            }
        )

    @extend_schema(
        parameters=[OpenApiParameter("search", str, description=_("Code, name, IP or hostname"))],
        responses={(200, excel.XLSX): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request):
        """The filtered list as an .xlsx workbook: one sheet per type, Chinese headers, attribute columns."""
        items = self.filter_queryset(self.get_queryset())
        response = HttpResponse(excel.export_items(items), content_type=excel.XLSX)
        response["Content-Disposition"] = 'attachment; filename="cmdb-items.xlsx"'
        return response


class RelationViewSet(RecordViewSet):
    queryset = Relation.objects.select_related("type", "source", "target")
    serializer_class = RelationSerializer
    service = services
    filterset_class = RelationFilter
    search_fields = ["source__code", "target__code", "note"]
    ordering_fields = ["id", "source__code", "target__code"]


class BlastRadiusView(APIView):
    """A change's blast radius: the union of what depends on the given items, by unit and application."""

    @extend_schema(
        request=BlastRadiusRequestSerializer,
        responses=inline_serializer(
            "BlastRadius",
            {
                "items": serializers.ListField(child=serializers.IntegerField()),
                "count": serializers.IntegerField(),
                "units": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def post(self, request):
        form = BlastRadiusRequestSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        return Response(
            impact.blast_radius(
                form.validated_data["items"], user=request.user, depth=form.validated_data.get("depth")
            )
        )
