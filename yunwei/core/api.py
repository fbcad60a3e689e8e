"""Shared API pieces: the error format, scoped querysets, the two viewset shapes (a record written through
its service; a record that moves along a flow) and related fields."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.fields import empty
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from . import scoping
from .errors import DomainError


def _error_body(detail, field: str | None = None) -> dict:
    body = {"detail": str(detail)}
    if field:
        body["field"] = field
        body["errors"] = {field: [str(detail)]}
    return body


def exception_handler(exc, context):
    """Every API error is JSON: `detail` says why; validation errors name each field under `errors`."""
    if isinstance(exc, DomainError):
        return Response(_error_body(exc.message, exc.field), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            errors = exc.message_dict
            first_field = next(iter(errors))
            return Response(
                {"detail": errors[first_field][0], "field": first_field, "errors": errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"detail": "; ".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        # A uniqueness race that validation could not see: still a clear 400, never a 500.
        return Response({"detail": str(_("This record conflicts with an existing one."))}, status=400)
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        first_field = next(iter(errors), "non_field_errors")
        first = errors.get(first_field)
        while isinstance(first, list | dict) and first:
            first = first[0] if isinstance(first, list) else next(iter(first.values()))
        return Response(
            {"detail": f"{first_field}: {first}", "field": first_field, "errors": errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, Http404 | exceptions.NotFound):
        response.data = {"detail": str(_("Not found."))}
    return response


def refuse_delete(self, instance):
    """`perform_destroy` of a record that is never deleted: reached only once the record is found visible
    (a foreign one is still 404), it answers 405. The OpenAPI schema (core.schema) offers no DELETE then."""
    raise exceptions.MethodNotAllowed("DELETE")


class ScopedQuerysetMixin:
    """Lists, details, filters, counts and custom actions all start from the visible rows."""

    def get_queryset(self):
        return scoping.visible(super().get_queryset(), self.request.user)


class ScopedViewSet(ScopedQuerysetMixin, viewsets.GenericViewSet):
    pass


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference in a write may only name rows the writer can see; others are 'does not exist'."""

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        return scoping.visible(queryset, request.user if request else None)


class VersionedWritesMixin:
    """Creates and updates hand the service the fields and, apart, the version the client edited.

    The serializer's `version` (a VersionField) is never a field to store: a create drops it; an update
    passes it as `expected_version`, so a different current version answers 409 instead of overwriting
    someone else's save. A viewset says how it writes in `create_record` and `update_record`.
    """

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = self.create_record(data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        serializer.instance = self.update_record(serializer.instance, data, version)

    def create_record(self, data: dict):
        raise NotImplementedError

    def update_record(self, instance, data: dict, version: int | None):
        raise NotImplementedError


class RecordViewSet(VersionedWritesMixin, ScopedQuerysetMixin, viewsets.ModelViewSet):
    """CRUD over a scoped queryset whose writes go through a service module's create/update/delete.

    A `version` sent with an update is the version the client edited; a different current version
    answers 409 instead of overwriting someone else's save.
    """

    service = None  # module exposing create(model, *, actor, **fields), update(...), delete(...)
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def create_record(self, data):
        return self.service.create(self.get_queryset().model, actor=self.request.user, **data)

    def update_record(self, instance, data, version):
        return self.service.update(instance, actor=self.request.user, expected_version=version, **data)

    def perform_destroy(self, instance):
        self.service.delete(instance, actor=self.request.user)


class WorkflowViewSet(
    VersionedWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """A record that moves along a flow (an incident, a problem, a change): the shape every workflow app's
    API copies.

    A subclass names `serializer_class`, `detail_serializer_class` (the record with its timeline: what
    `retrieve` and every action answer), optionally `list_serializer_class`, and `service`, the module
    whose `transition(record, *, to, actor, comment, expected_version, **fields)` makes a step. It writes
    through `create_record` / `update_record` (VersionedWritesMixin). Its actions read their body with
    `action_input()` and answer with `detail_answer()`; its `transition` action is `transition_answer()`.
    A record of a flow is never deleted unless the subclass says how (`perform_destroy`).
    """

    service = None
    detail_serializer_class = None
    list_serializer_class = None
    lookup_value_regex = r"[0-9]+"

    def get_serializer_class(self):
        if self.action == "retrieve":
            return self.detail_serializer_class
        if self.action == "list" and self.list_serializer_class is not None:
            return self.list_serializer_class
        return self.serializer_class

    perform_destroy = refuse_delete

    answering = False  # set by detail_answer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action in ("list", "retrieve") or self.answering:
            return queryset
        # An action reads its record to make a step, not to answer: what the queryset prefetches for an
        # answer would be read for nothing. `detail_answer` reads the record again, with them.
        return queryset.prefetch_related(None)

    def action_input(self, serializer_class) -> dict:
        """The action's body, validated by `serializer_class` (a 400 naming the field otherwise)."""
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def detail_answer(self, record) -> Response:
        """The answer to an action: the record as it is now, read again through the caller's scope."""
        self.answering = True
        record = self.get_queryset().get(pk=record.pk)
        return Response(self.detail_serializer_class(record, context=self.get_serializer_context()).data)

    def transition_answer(self, serializer_class) -> Response:
        """One step of the flow: `to`, the `comment`, the `version` read and the step's own fields, made
        by the service (409 with the reason when the flow forbids it or the step lacks what it needs)."""
        record = self.get_object()
        data = self.action_input(serializer_class)
        to, comment, version = data.pop("to"), data.pop("comment", ""), data.pop("version", None)
        record = self.service.transition(
            record, to=to, actor=self.request.user, comment=comment, expected_version=version, **data
        )
        return self.detail_answer(record)


class VersionField(serializers.IntegerField):
    """Read: the record's version. Write: the version the client edited (checked, never stored).

    Required on every update, PATCH included: an update that does not say which version it edited could
    overwrite someone else's save unseen. Optional on create and in action bodies (a transition is
    guarded by the state machine).
    """

    default_error_messages = {
        "required": _(
            "Send the version of the record you edited, as read from it (a stale one answers 409)."
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault(
            "help_text", "Version the client edited; required on update, a stale one answers 409."
        )
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        # DRF skips missing fields of a partial update; the version is the one a PATCH cannot skip.
        if data is empty and getattr(self.root, "instance", None) is not None:
            self.fail("required")
        return super().validate_empty_values(data)


class DateTimeField(serializers.DateTimeField):
    """A date-time of the years Yunwei holds data for, 1970–2999 (as a month is, in the indicators).

    Every ModelSerializer's date-time field is one (CoreConfig.ready). A year 125 was stored and read back
    in the site's zone of that year, local mean time: `+08:05:43`, no date-time a client can parse; a
    year 1 or 9999 overflows the conversion to UTC."""

    default_error_messages = {"out_of_range": _("Give a date-time between the years 1970 and 2999.")}

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if not 1970 <= moment.year <= 2999:
            self.fail("out_of_range")
        return moment
