"""REST API of the knowledge base (Art. 9; issue 26 item 6): thin views over `services.readable()` and the
services, scoped as the pages are: a reader gets the published articles of their unit and the group's,
an editor also the drafts of the units they manage; another unit's article is a 404.

`GET /api/knowledge/articles/?q=备份` searches in Chinese as the pages do (two-character words, a single
character, "OA 登录"), the best first; `state` and `source` filter. Editors create (`publish` to publish at
once), update title and text with the `version` they read (a stale one answers 409), and publish or take
back to draft through `transition`.
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from yunwei.core.api import VersionedWritesMixin, VersionField, refuse_delete
from yunwei.org.models import Unit

from . import services
from .choices import Source, State
from .models import Article


class ArticleSerializer(serializers.ModelSerializer):
    version = VersionField()
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.none())
    publish = serializers.BooleanField(write_only=True, required=False, default=False)
    helpful = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "unit",
            "source",
            "problem",
            "title",
            "body",
            "state",
            "author",
            "published_at",
            "helpful",
            "publish",
            "version",
        ]
        read_only_fields = ["source", "problem", "state", "author", "published_at"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        # A new article names a unit its writer manages; another unit is "does not exist". An article
        # stays in its unit: an update edits its title and text.
        fields["unit"].queryset = services.writable_units(request.user if request else None)
        if self.instance is not None and not isinstance(self.instance, list):
            fields["unit"].read_only = True
        return fields

    def get_helpful(self, article) -> dict:
        """The readers' answers to "was this helpful?": {"yes": n, "no": n}."""
        return services.tally(article)


class ArticleTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=State.choices)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Search in Chinese and Latin words (备份, 流程, OA 登录, a single character); "
                "every term must occur; the best first.",
            ),
            OpenApiParameter("state", OpenApiTypes.STR, enum=State.values),
            OpenApiParameter("source", OpenApiTypes.STR, enum=Source.values),
        ]
    )
)
class ArticleViewSet(
    VersionedWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Knowledge articles as the caller may read them; editors (the admins of an article's unit) write."""

    queryset = Article.objects.select_related("unit")
    serializer_class = ArticleSerializer
    filter_backends = []  # the search is the knowledge base's own (`?q=`), not a LIKE over the title
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        rows = services.readable(self.queryset.all(), self.request.user)
        query = self.request.query_params
        for name, choices in (("state", State.values), ("source", Source.values)):
            value = query.get(name, "")
            if value and value not in choices:
                raise exceptions.ValidationError({name: [_("Unknown value.")]})
            if value:
                rows = rows.filter(**{name: value})
        return rows.order_by("-published_at", "-id")

    def list(self, request, *args, **kwargs):
        q = request.query_params.get("q", "").strip()[:200]
        if not q:
            return super().list(request, *args, **kwargs)
        self.get_queryset()  # the filters' values are checked as without a search
        query = request.query_params
        found = [
            article
            for article in services.search(q, request.user)
            if query.get("state", article.state) == article.state
            and query.get("source", article.source) == article.source
        ]
        page = self.paginate_queryset(found)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create_record(self, data):
        return services.create_article(
            actor=self.request.user,
            unit=data.get("unit"),
            title=data.get("title", ""),
            body=data.get("body", ""),
            publish=data.get("publish", False),
        )

    def update_record(self, instance, data, version):
        return services.update_article(
            instance,
            actor=self.request.user,
            expected_version=version,
            title=data.get("title", instance.title),
            body=data.get("body", instance.body),
        )

    # An article is taken back to draft, never deleted (its votes and history stay).
    perform_destroy = refuse_delete

    @extend_schema(request=ArticleTransitionSerializer, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Publish the article (`to: published`) or take it back to draft (`to: draft`)."""
        article = self.get_object()
        serializer = ArticleTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = services.transition(article, to=serializer.validated_data["to"], actor=request.user)
        return Response(self.get_serializer(article).data)
