"""REST API of the monthly report (Art. 6): thin views over the scoped reports and reports.services.

`GET reports/` (`?unit=`, `?month=YYYY-MM`, `?group=true`), `GET reports/{id}/`, `POST reports/open/`
({unit | null, month}), `POST reports/{id}/generate/`, `PATCH`-like `POST reports/{id}/text/` ({analysis,
plan, version}), `POST reports/{id}/sign/` ({password | otp, version}), `POST reports/{id}/correct/`,
`GET reports/{id}/progress/`, `GET reports/{id}/download/{docx|pdf|xlsx}/`. Another unit's report is 404."""

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from yunwei.core.api import ScopedPrimaryKeyRelatedField, ScopedViewSet, VersionField
from yunwei.core.errors import DomainError
from yunwei.core.filters import is_id
from yunwei.org.models import Unit

from . import services
from .choices import Format
from .models import Report, ReportEvent, ReportFile


class ReportEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportEvent
        fields = ["at", "actor_name", "kind", "from_state", "to_state", "comment"]


class ReportFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportFile
        fields = ["format", "size", "sha256", "made_at"]


class ReportListSerializer(serializers.ModelSerializer):
    month = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "unit",
            "month",
            "edition",
            "state",
            "progress",
            "signed_at",
            "signed_by_name",
            "version",
        ]
        read_only_fields = fields

    def get_month(self, report) -> str:
        return report.month_text


class ReportSerializer(ReportListSerializer):
    files = ReportFileSerializer(many=True, read_only=True)
    events = ReportEventSerializer(many=True, read_only=True)

    class Meta(ReportListSerializer.Meta):
        fields = [
            *ReportListSerializer.Meta.fields,
            "step",
            "failure",
            "log",
            "figures",
            "figures_at",
            "analysis",
            "plan",
            "superseded_by",
            "files",
            "events",
        ]
        read_only_fields = fields


class ReportOpenSerializer(serializers.Serializer):
    unit = ScopedPrimaryKeyRelatedField(
        queryset=Unit.objects.all(), allow_null=True, required=False, default=None
    )
    month = serializers.CharField()


class ReportTextSerializer(serializers.Serializer):
    analysis = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    plan = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    version = VersionField(required=True)


class ReportGenerateSerializer(serializers.Serializer):
    version = VersionField()


class ReportSignSerializer(serializers.Serializer):
    password = serializers.CharField(
        required=False, allow_blank=True, default="", style={"input_type": "password"}
    )
    otp = serializers.CharField(required=False, allow_blank=True, default="")
    version = VersionField()


class ReportProgressSerializer(serializers.Serializer):
    state = serializers.CharField()
    progress = serializers.IntegerField()
    step = serializers.CharField()
    failure = serializers.CharField()
    version = serializers.IntegerField()


LIST_PARAMS = [
    OpenApiParameter("unit", OpenApiTypes.INT, description="unit id"),
    OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM"),
    OpenApiParameter("group", OpenApiTypes.BOOL, description="true: the group's reports only"),
]


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = Report.objects.select_related("unit").prefetch_related("files", "events")
    serializer_class = ReportSerializer

    def get_serializer_class(self):
        return ReportListSerializer if self.action == "list" else ReportSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            return queryset
        params = self.request.query_params
        unit = params.get("unit")
        if unit:
            if not is_id(unit):
                raise DomainError(_("Give the unit as its number."), field="unit")
            queryset = queryset.filter(unit_id=int(unit))
        if params.get("group") == "true":
            queryset = queryset.filter(unit__isnull=True)
        month = params.get("month")
        if month:
            queryset = queryset.filter(month=services.parse_month(month))
        return queryset.order_by("-month", "unit_id", "-edition")

    @extend_schema(parameters=LIST_PARAMS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _body(self, serializer_class) -> dict:
        body = serializer_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    def _answer(self, report, code=status.HTTP_200_OK) -> Response:
        report = Report.objects.select_related("unit").prefetch_related("files", "events").get(pk=report.pk)
        return Response(ReportSerializer(report).data, status=code)

    @extend_schema(request=ReportOpenSerializer, responses=ReportSerializer)
    @action(detail=False, methods=["post"], url_path="open")
    def open(self, request):
        """The month's report of a unit (or of the group: unit null), opened as a draft on first use."""
        data = self._body(ReportOpenSerializer)
        return self._answer(services.open_report(data["unit"], data["month"], actor=request.user))

    @extend_schema(request=ReportGenerateSerializer, responses={202: ReportSerializer})
    @action(detail=True, methods=["post"])
    def generate(self, request, pk=None):
        """Generate in the background; a report being generated already answers 409."""
        report = self.get_object()
        data = self._body(ReportGenerateSerializer)
        queued = services.request_generation(report, actor=request.user, expected_version=data.get("version"))
        return self._answer(queued, status.HTTP_202_ACCEPTED)

    @extend_schema(request=ReportTextSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def text(self, request, pk=None):
        """The lead's analysis and next month's plan, with the version edited."""
        report = self.get_object()
        data = self._body(ReportTextSerializer)
        saved = services.save_text(
            report,
            actor=request.user,
            analysis=data["analysis"],
            plan=data["plan"],
            expected_version=data["version"],
        )
        return self._answer(saved)

    @extend_schema(request=ReportSignSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Sign with a fresh password or TOTP code: the report is frozen."""
        report = self.get_object()
        data = self._body(ReportSignSerializer)
        signed = services.sign(
            report,
            actor=request.user,
            password=data["password"],
            otp=data["otp"],
            expected_version=data.get("version"),
        )
        return self._answer(signed)

    @extend_schema(request=None, responses={201: ReportSerializer})
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """A correction of a signed report: the next version, as a draft."""
        return self._answer(services.correct(self.get_object(), actor=request.user), status.HTTP_201_CREATED)

    @extend_schema(responses=ReportProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        report = self.get_object()
        return Response(
            {
                "state": report.state,
                "progress": report.progress,
                "step": report.step,
                "failure": report.failure,
                "version": report.version,
            }
        )

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"download/(?P<fmt>docx|pdf|xlsx)")
    def download(self, request, pk=None, fmt=None):
        report = self.get_object()
        return file_response(services.file_of(report, fmt))


def file_response(stored: ReportFile) -> FileResponse:
    return FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=stored.file.name.rsplit("/", 1)[-1],
        content_type=Format(stored.format).content_type,
    )
