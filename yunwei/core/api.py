"""Shared API pieces: the error format, scoped querysets and related fields."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status, viewsets
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


class RecordViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    """CRUD over a scoped queryset whose writes go through a service module's create/update/delete.

    A `version` sent with an update is the version the client edited; a different current version
    answers 409 instead of overwriting someone else's save.
    """

    service = None  # module exposing create(model, *, actor, **fields), update(...), delete(...)
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = self.service.create(self.get_queryset().model, actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        serializer.instance = self.service.update(
            serializer.instance, actor=self.request.user, expected_version=version, **data
        )

    def perform_destroy(self, instance):
        self.service.delete(instance, actor=self.request.user)


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
