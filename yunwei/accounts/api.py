"""`POST /api/auth/token/` for a token, `DELETE` to revoke it; `GET /api/auth/me/`; own tokens."""

from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .authentication import ExpiringTokenAuthentication
from .models import ApiToken


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, style={"input_type": "password"})
    otp = serializers.CharField(
        max_length=10, required=False, allow_blank=True, help_text="TOTP code, when set up"
    )


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]


class TokenView(APIView):
    # Asked with a user name and password, revoked with the token itself: never by a browser session,
    # which may not have passed the second factor yet.
    authentication_classes = [ExpiringTokenAuthentication]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            201: inline_serializer(
                "Token", {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()}
            )
        },
        auth=[],
    )
    def post(self, request):
        """Exchange a user name and password (and TOTP code when set up) for an API token."""
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            user = authenticate(
                request._request,
                username=form.validated_data["username"],
                password=form.validated_data["password"],
            )
        except AxesBackendPermissionDenied:
            user = None
        if getattr(request._request, "axes_locked_out", False):
            return Response(
                {"detail": _("Too many failed log-ins; try again later.")}, status=status.HTTP_403_FORBIDDEN
            )
        if user is None:
            # The same answer whether or not the account exists.
            services.record_failed_login(form.validated_data["username"], channel="api")
            return Response({"detail": _("Wrong user name or password.")}, status=status.HTTP_400_BAD_REQUEST)
        key, token = services.issue_token(user, otp=form.validated_data.get("otp", ""))
        return Response({"token": key, "expires_at": token.expires_at}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        """Revoke the token this request was made with."""
        if not isinstance(request.auth, ApiToken):
            return Response(
                {"detail": _("This request was not made with a token.")}, status=status.HTTP_400_BAD_REQUEST
            )
        services.revoke_token(request.auth, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else super().get_permissions()


class ContactChangeSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=256,
        style={"input_type": "password"},
        help_text="the account's password, typed again (when no TOTP device is set up)",
    )
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=10,
        help_text="a fresh TOTP code (when a device is set up)",
    )
    version = serializers.IntegerField(required=False, help_text="the person record's version, as read")


class MeView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "id": serializers.IntegerField(),
                "username": serializers.CharField(),
                "unit": serializers.IntegerField(allow_null=True),
                "is_group_admin": serializers.BooleanField(),
                "admin_units": serializers.ListField(child=serializers.IntegerField()),
            },
        )
    )
    def get(self, request):
        access = request.user.access
        return Response(
            {
                "id": request.user.pk,
                "username": request.user.username,
                "unit": access.unit_id,
                "is_group_admin": access.is_group_admin,
                "admin_units": sorted(access.admin_unit_ids),
            }
        )

    @extend_schema(
        request=ContactChangeSerializer,
        responses=inline_serializer(
            "OwnContact",
            {
                "email": serializers.CharField(),
                "phone": serializers.CharField(),
                "version": serializers.IntegerField(),
            },
        ),
    )
    def patch(self, request):
        """Change one's own e-mail or phone; the password (or a fresh TOTP code when set up) is asked
        again, and a refusal names the field (`password`, `otp`, `email`, `phone`, `version`)."""
        form = ContactChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        person = services.change_own_contact(
            request.user,
            password=data.pop("password", ""),
            otp=data.pop("otp", ""),
            expected_version=data.pop("version", None),
            **data,
        )
        return Response({"email": person.email, "phone": person.phone, "version": person.version})


class TokenViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The caller's own tokens; DELETE revokes one (the row stays, marked revoked)."""

    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.all()
    ordering_fields = ["created_at", "expires_at"]
    filterset_fields = ["revoked_at"]

    def get_queryset(self):
        return super().get_queryset().filter(user=self.request.user).order_by("-created_at")

    def perform_destroy(self, instance):
        services.revoke_token(instance, actor=self.request.user)
