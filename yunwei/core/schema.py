"""The OpenAPI schema's shared parts, in one place instead of in every view: a summary per operation, the
error answers each operation can give (with the body `core.api.exception_handler` really renders) and the
links from a created record to the operations on it (the stateful fuzzing of tests/api follows them).

A view overrides any of it with `@extend_schema` as usual: an answer it declares itself is kept."""

import re

from django.core.exceptions import FieldDoesNotExist
from django.utils import translation
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .api import refuse_delete

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# The verb of each standard viewset action, in the summary ("Create a change template").
ACTION_VERBS = {
    "list": "List",
    "create": "Create",
    "retrieve": "Read",
    "update": "Replace",
    "partial_update": "Update",
    "destroy": "Delete",
}
METHOD_VERBS = {"GET": "Read", "POST": "Submit", "PUT": "Replace", "PATCH": "Update", "DELETE": "Delete"}

ERROR_DESCRIPTIONS = {
    "400": (
        "Bad input: `detail` says why, `field` names the first input at fault and `errors` lists the "
        "messages of each field."
    ),
    "401": "No valid credentials: send `Authorization: Token <key>` (or a signed-in session).",
    "403": "Signed in, but this account may not do this here (its role or its unit's scope).",
    "404": "No such record among those this account can see (another unit's records are not shown).",
    "404-page": "No such page: the `page` asked is past the list's last page (or not a page number).",
    "409": (
        "Conflict: the `version` sent is no longer the record's (someone saved first: read it again), "
        "or the record's state forbids this step now; `detail` says which."
    ),
    "414": "The request line (path and query) is longer than the web server takes (4094 bytes).",
}


class ErrorSerializer(serializers.Serializer):
    """The body of every API error (core.api.exception_handler)."""

    detail = serializers.CharField(help_text="Why the request was refused, in the request's language.")
    field = serializers.CharField(required=False, help_text="The input at fault, when there is one.")
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Each input at fault with its messages (nested for lists and objects).",
    )


def also_answers(*codes: str):
    """Marks a view method that gives error answers beyond the usual ones of its kind (core.schema),
    e.g. a 404 for a unit named in the query that the caller cannot see."""

    def mark(method):
        method.also_answers = codes
        return method

    return mark


def _words(name: str) -> str:
    return re.sub(r"[_\-]+", " ", name).strip()


def _article(noun: str) -> str:
    # By sound: "an item", "a unit", "an SLA target".
    first = noun.split(" ", 1)[0]
    if first.isupper():
        return "an" if first[0] in "AEFHILMNORSX" else "a"
    return "an" if first[:1].lower() in "aeio" or (first[:1].lower() == "u" and first[:3] != "uni") else "a"


def _as_the_model_fills_it(field, model) -> None:
    """A read-only field loses `allow_null` / `allow_blank` in DRF, so its schema would promise a value
    where the model stores none: a blank choice ("" for "not graded yet"), or null through an optional
    relation (`item.code` of an alert without an item). Restored here from the model's fields."""
    if field.source in ("*", None) or isinstance(field, serializers.SerializerMethodField):
        return
    parts = field.source.split(".")
    for position, name in enumerate(parts):
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return  # a property or a method: nothing the model says
        if not model_field.concrete:
            return  # a reverse relation: its own serializer says
        if model_field.null:
            field.allow_null = True
        if position == len(parts) - 1:
            if model_field.blank and getattr(model_field, "choices", None) and hasattr(field, "allow_blank"):
                field.allow_blank = True
            return
        model = model_field.related_model
        if model is None:
            return


class YunweiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema with a summary and the error answers on every operation."""

    def is_excluded(self) -> bool:
        # A record that is never deleted offers no DELETE: it answers 405 (or 404), nothing to document
        # as an operation.
        if self.method == "DELETE" and getattr(type(self.view), "perform_destroy", None) is refuse_delete:
            return True
        return super().is_excluded()

    # ---- summary

    def get_summary(self) -> str:
        with translation.override("en"):
            return self._summary()

    def _summary(self) -> str:
        action = getattr(self.view, "action", None)
        noun = self._noun()
        if action in ACTION_VERBS and noun:
            verb = ACTION_VERBS[action]
            if action == "list":
                return f"{verb} {self._plural()}"
            return f"{verb} {_article(noun)} {noun}"
        if action:
            what = _words(action).capitalize()
            return f"{what} ({noun})" if noun else what
        # A plain APIView: its method's docstring says what it does; its first sentence is the summary.
        doc = (getattr(getattr(self.view, self.method.lower(), None), "__doc__", None) or "").strip()
        first = re.split(r"(?<=[.:;])\s|\n\n", doc, maxsplit=1)[0].rstrip(".:;").replace("\n", " ")
        if first and len(first) <= 100:
            return first
        segments = [s for s in self.path.strip("/").split("/") if s and not s.startswith("{")]
        what = _words(segments[-1])
        if what == "me":  # /api/auth/me/, /api/notify/preferences/me/
            what = "own account" if segments[-2] == "auth" else f"own {_words(segments[-2])}"
        return f"{METHOD_VERBS[self.method]} {what}"

    def _model(self):
        queryset = getattr(self.view, "queryset", None)
        if queryset is not None:
            return queryset.model
        try:
            return self.view.get_queryset().model
        except Exception:  # noqa: BLE001 - a view without a queryset (or one needing a request) has no noun
            return None

    def _noun(self) -> str:
        model = self._model()
        return str(model._meta.verbose_name) if model is not None else ""

    def _plural(self) -> str:
        return str(self._model()._meta.verbose_name_plural)

    # ---- read-only fields as the model fills them

    def _map_basic_serializer(self, serializer, direction):
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        if model is not None:
            for field in serializer.fields.values():
                if field.read_only:
                    _as_the_model_fills_it(field, model)
        return super()._map_basic_serializer(serializer, direction)

    # ---- error answers

    def _error_codes(self, operation) -> list[str]:
        codes = []
        has_path_parameters = "{" in self.path
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        if self.method in UNSAFE_METHODS or has_query:
            codes.append("400")
        if not any(isinstance(p, AllowAny) for p in self._permissions()):
            codes += ["401", "403"]
        elif self.method in UNSAFE_METHODS:
            codes.append("403")  # e.g. the log-in lock-out
        if has_path_parameters:
            codes.append("404")
        elif any(p.get("in") == "query" and p.get("name") == "page" for p in operation.get("parameters", [])):
            codes.append("404-page")  # the paginator's answer to a page past the end
        if self.method in UNSAFE_METHODS and self._can_conflict():
            codes.append("409")
        handler = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        codes += [code for code in getattr(handler, "also_answers", ()) if code not in codes]
        if has_query:
            codes.append("414")  # the web server's, before the application: no JSON body
        return codes

    def _permissions(self):
        try:
            return self.view.get_permissions()
        except Exception:  # noqa: BLE001 - permissions that read the request: treat as signed-in only
            return []

    def _can_conflict(self) -> bool:
        # Writes on records go through services that refuse a stale version or a step the state forbids
        # (StaleEdit, TransitionNotAllowed: 409). Issuing and revoking one's token has neither.
        return not self.path.startswith("/api/auth/token/")

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for key in self._error_codes(operation):
            code = key.split("-")[0]
            if code == "414":
                responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[key]})
            elif code not in responses:
                # JSON whatever the operation's own answer is (a download's error is JSON too).
                answer = self._get_response_for_code(ErrorSerializer, code, ["application/json"])
                answer["description"] = ERROR_DESCRIPTIONS[key]
                responses[code] = answer
        return operation


# ---- links (a postprocessing hook)


def _resolve(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref", "")
    return components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema


def _body_properties(content: dict, components: dict) -> set[str]:
    names = set()
    for media in content.values():
        names |= set(_resolve(media.get("schema", {}), components).get("properties", {}))
    return names


def add_links_from_creates(result, generator, request, public):
    """OpenAPI links from each create's 201 to the operations on the record it made (read, update,
    delete, its actions): the record's `id` fills the path, and its `version` the body of a write that
    asks for one. A client (or a stateful fuzzer) follows a create straight to the record."""
    components = result.get("components", {}).get("schemas", {})
    paths = result["paths"]
    for collection, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        if not created or "{" in collection:
            continue
        made = _body_properties(created.get("content", {}), components)
        if "id" not in made:
            continue
        links = {}
        for path, targets in paths.items():
            rest = path.removeprefix(collection)
            # The record's own operations: one parameter, right after the collection.
            if rest == path or not rest.startswith("{") or rest.count("{") != 1:
                continue
            parameter = rest[1 : rest.index("}")]
            for method, target in targets.items():
                if method not in {"get", "put", "patch", "delete", "post"}:
                    continue
                link = {
                    "operationId": target["operationId"],
                    "parameters": {parameter: "$response.body#/id"},
                }
                asked = _body_properties(target.get("requestBody", {}).get("content", {}), components)
                if "version" in asked and "version" in made:
                    link["requestBody"] = {"version": "$response.body#/version"}
                links[target["operationId"]] = link
        if links:
            created["links"] = links
    return result
