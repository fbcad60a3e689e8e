"""REST API of the organisation: thin views over scoped querysets and org.services."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from yunwei.core import scoping
from yunwei.core.api import RecordViewSet, ScopedPrimaryKeyRelatedField, ScopedViewSet, VersionField

from . import services
from .choices import Domain, Role
from .filters import (
    ContractFilter,
    PersonFilter,
    RoleAssignmentFilter,
    TeamFilter,
    UnitFilter,
    VendorEngineerFilter,
    VendorFilter,
)
from .models import MaintenanceContract, Person, RoleAssignment, Team, Unit, Vendor, VendorEngineer


class WritableUnitField(serializers.PrimaryKeyRelatedField):
    """The unit a record belongs to: in a write, only units the writer manages exist."""

    def get_queryset(self):
        request = self.context.get("request")
        return scoping.writable(Unit.objects.all(), request.user if request else None)


class DomainListField(serializers.ListField):
    child = serializers.ChoiceField(choices=Domain.choices)


class UnitSerializer(serializers.ModelSerializer):
    parent = ScopedPrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True)
    staffing_gaps = serializers.SerializerMethodField(help_text="Art. 10 roles the unit lacks")
    version = VersionField()

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind", "parent", "address", "is_active", "staffing_gaps", "version"]

    def get_staffing_gaps(self, unit) -> list[str]:
        return unit.staffing_gaps()


class TeamSerializer(serializers.ModelSerializer):
    unit = WritableUnitField()
    domains = DomainListField(required=False)
    version = VersionField()

    class Meta:
        model = Team
        validators = []  # uniqueness is the service's, with a message naming the field
        fields = ["id", "unit", "code", "name", "domains", "duties", "version"]


class MaskedPersonalDataMixin:
    """Phone and e-mail leave the server masked (Art. 11); `reveal` un-masks them, audited."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["phone"] = services.mask_phone(instance.phone or "")
        data["email"] = services.mask_email(instance.email or "")
        return data

    def validate(self, attrs):
        # A client echoing the masked value back must not overwrite the real one.
        if self.instance is not None:
            for name, mask in (("phone", services.mask_phone), ("email", services.mask_email)):
                current = getattr(self.instance, name)
                if name in attrs and current and attrs[name] == mask(current):
                    attrs.pop(name)
        return attrs


class PersonSerializer(MaskedPersonalDataMixin, serializers.ModelSerializer):
    unit = WritableUnitField()
    team = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    username = serializers.CharField(source="account.username", read_only=True, default=None)
    account_active = serializers.BooleanField(source="account.is_active", read_only=True, default=None)
    roles = serializers.SerializerMethodField()
    version = VersionField()

    class Meta:
        model = Person
        fields = [
            "id",
            "unit",
            "name",
            "employee_no",
            "department",
            "title",
            "team",
            "phone",
            "email",
            "is_active",
            "username",
            "account_active",
            "roles",
            "version",
        ]

    def get_roles(self, person) -> list[dict]:
        return [{"role": a.role, "unit": a.unit_id} for a in person.role_assignments.all()]


class VendorSerializer(serializers.ModelSerializer):
    unit = WritableUnitField()
    version = VersionField()

    class Meta:
        model = Vendor
        validators = []  # uniqueness is the service's, with a message naming the field
        fields = ["id", "unit", "code", "name", "hotline", "address", "notes", "version"]


class VendorEngineerSerializer(MaskedPersonalDataMixin, serializers.ModelSerializer):
    vendor = ScopedPrimaryKeyRelatedField(queryset=Vendor.objects.all())
    version = VersionField()

    class Meta:
        model = VendorEngineer
        fields = ["id", "vendor", "name", "speciality", "phone", "email", "version"]


class ContractSerializer(serializers.ModelSerializer):
    unit = WritableUnitField()
    vendor = ScopedPrimaryKeyRelatedField(queryset=Vendor.objects.all())
    engineer = ScopedPrimaryKeyRelatedField(
        queryset=VendorEngineer.objects.all(), required=False, allow_null=True
    )
    domains = DomainListField(required=False)
    status = serializers.CharField(read_only=True)
    version = VersionField()

    class Meta:
        model = MaintenanceContract
        validators = []  # uniqueness is the service's, with a message naming the field
        fields = [
            "id",
            "unit",
            "vendor",
            "number",
            "title",
            "domains",
            "coverage",
            "engineer",
            "response_hours",
            "starts_on",
            "ends_on",
            "status",
            "version",
        ]

    def validate(self, attrs):
        starts = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError({"ends_on": _("The contract cannot end before it starts.")})
        return attrs


class RoleAssignmentSerializer(serializers.ModelSerializer):
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all())
    unit = WritableUnitField(required=False)
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = RoleAssignment
        fields = ["id", "person", "unit", "role", "assigned_at", "granted_by"]
        read_only_fields = ["assigned_at", "granted_by"]
        validators = []  # uniqueness is the service's, with a message naming the field


class UnitViewSet(RecordViewSet):
    queryset = Unit.objects.with_staffing().select_related("parent").order_by("code")
    serializer_class = UnitSerializer
    service = services
    filterset_class = UnitFilter
    search_fields = ["code", "name", "address"]
    ordering_fields = ["code", "name", "kind"]


class TeamViewSet(RecordViewSet):
    queryset = Team.objects.select_related("unit")
    serializer_class = TeamSerializer
    service = services
    filterset_class = TeamFilter
    search_fields = ["code", "name", "duties"]
    ordering_fields = ["code", "name", "unit__code"]


class PersonalDataActionsMixin:
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "PersonalData", {"phone": serializers.CharField(), "email": serializers.CharField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """Un-mask phone and e-mail; the un-masking is written to the audit log."""
        return Response(services.reveal_personal_data(self.get_object(), actor=request.user))


class AccountSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]{3,150}$", max_length=150)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})


class PersonViewSet(PersonalDataActionsMixin, RecordViewSet):
    queryset = Person.objects.select_related("unit", "team", "account").prefetch_related("role_assignments")
    serializer_class = PersonSerializer
    service = services
    filterset_class = PersonFilter
    search_fields = ["name", "employee_no", "department", "title", "account__username"]
    ordering_fields = ["name", "unit__code", "department"]

    @extend_schema(request=AccountSerializer, responses={201: PersonSerializer})
    @action(detail=True, methods=["post"])
    def account(self, request, pk=None):
        """Create the person's log-in account (password rules apply)."""
        person = self.get_object()
        form = AccountSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.create_account(person, actor=request.user, **form.validated_data)
        return Response(
            PersonSerializer(person, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses=PersonSerializer)
    @action(detail=True, methods=["post"], url_path="disable-account")
    def disable_account(self, request, pk=None):
        """Disable the person's account; its sessions and API tokens end at once."""
        person = self.get_object()
        services.set_account_active(person, False, actor=request.user)
        return Response(PersonSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(request=None, responses=PersonSerializer)
    @action(detail=True, methods=["post"], url_path="enable-account")
    def enable_account(self, request, pk=None):
        person = self.get_object()
        services.set_account_active(person, True, actor=request.user)
        return Response(PersonSerializer(self.get_object(), context={"request": request}).data)


class VendorViewSet(RecordViewSet):
    queryset = Vendor.objects.select_related("unit")
    serializer_class = VendorSerializer
    service = services
    filterset_class = VendorFilter
    search_fields = ["code", "name", "hotline"]
    ordering_fields = ["code", "name"]


class VendorEngineerViewSet(PersonalDataActionsMixin, RecordViewSet):
    queryset = VendorEngineer.objects.select_related("vendor")
    serializer_class = VendorEngineerSerializer
    service = services
    filterset_class = VendorEngineerFilter
    search_fields = ["name", "speciality"]
    ordering_fields = ["name"]


class ContractViewSet(RecordViewSet):
    queryset = MaintenanceContract.objects.select_related("vendor", "engineer")
    serializer_class = ContractSerializer
    service = services
    filterset_class = ContractFilter
    search_fields = ["number", "title", "coverage", "vendor__name"]
    ordering_fields = ["ends_on", "starts_on", "number"]


class RoleAssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    queryset = RoleAssignment.objects.select_related("person", "unit")
    serializer_class = RoleAssignmentSerializer
    filterset_class = RoleAssignmentFilter
    ordering_fields = ["assigned_at", "role"]

    def perform_create(self, serializer):
        serializer.instance = services.assign_role(actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.revoke_role(instance, actor=self.request.user)
