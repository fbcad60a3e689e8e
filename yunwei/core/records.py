"""The one write path for plain records: create, update (with version check), delete — each audited.

Domain services (org, cmdb, …) call these after checking who may act; workflows with states have
their own services, built on the helpers at the end: lock a record and check its version, save it
with its version raised, and append an entry to its timeline.
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yunwei.audit import services as audit

from .errors import DomainError, StaleEdit


def _validate(instance: models.Model) -> None:
    # Uniqueness and constraints are checked by the services with field-named messages first;
    # full_clean is the net for field formats (lengths, choices, e-mail …).
    instance.full_clean(validate_unique=False, validate_constraints=False)


def _first_error(exc: ValidationError) -> DomainError:
    errors = exc.message_dict if hasattr(exc, "message_dict") else {"__all__": exc.messages}
    field, messages = next(iter(errors.items()))
    return DomainError(messages[0], field=None if field == "__all__" else field)


@transaction.atomic
def create_record(model: type[models.Model], *, actor, comment: str = "", **fields) -> models.Model:
    instance = model(**fields)
    try:
        _validate(instance)
    except ValidationError as exc:
        raise _first_error(exc) from None
    instance.save()
    audit.record("create", actor=actor, obj=instance, after=audit.snapshot(instance), comment=comment)
    return instance


@transaction.atomic
def update_record(
    instance: models.Model, *, actor, expected_version: int | None = None, comment: str = "", **fields
) -> models.Model:
    locked = lock(type(instance).objects, instance.pk, expected_version)
    before = audit.snapshot(locked)
    for name, value in fields.items():
        setattr(locked, name, value)
    try:
        _validate(locked)
    except ValidationError as exc:
        raise _first_error(exc) from None
    if hasattr(locked, "version"):
        locked.version += 1
    locked.save()
    changed_before, changed_after = audit.diff(before, audit.snapshot(locked))
    if changed_after:
        audit.record(
            "update", actor=actor, obj=locked, before=changed_before, after=changed_after, comment=comment
        )
    return locked


@transaction.atomic
def delete_record(instance: models.Model, *, actor, comment: str = "") -> None:
    before = audit.snapshot(instance)
    audit.record("delete", actor=actor, obj=instance, before=before, comment=comment)
    try:
        with transaction.atomic():
            instance.delete()
    except (ProtectedError, RestrictedError) as exc:
        count = len(exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects)
        raise DomainError(
            ngettext(
                "Cannot delete: %(count)s other record still refers to it.",
                "Cannot delete: %(count)s other records still refer to it.",
                count,
            )
            % {"count": count}
        ) from None


# -- records with a lifecycle ---------------------------------------------------------------------


def lock(queryset: models.QuerySet, pk, expected_version: int | None = None) -> models.Model:
    """The row, locked until the transaction ends; a version other than the caller's is a stale edit."""
    locked = queryset.select_for_update(of=("self",)).get(pk=pk)
    if expected_version is not None and expected_version != locked.version:
        raise StaleEdit(
            _("Someone else saved this record first (version %(current)s, yours %(yours)s); reload.")
            % {"current": locked.version, "yours": expected_version},
            field="version",
        )
    return locked


def save_version(record: models.Model, *fields: str) -> None:
    record.version += 1
    record.save(update_fields=[*fields, "version", "updated_at"])


COMMENT_MAX = 2000


def comment_text(text: str) -> str:
    """A comment added to a record's timeline, trimmed; empty or too long is bad input."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write the comment to add."), field="comment")
    if len(text) > COMMENT_MAX:
        raise DomainError(
            _("A comment has at most %(count)s characters.") % {"count": COMMENT_MAX}, field="comment"
        )
    return text


def append_event(
    model: type[models.Model],
    subject: dict,
    kind: str,
    *,
    actor,
    at=None,
    comment: str = "",
    from_state: str = "",
    to_state: str = "",
    **data,
) -> models.Model:
    """One timeline entry (who, when, what, from which state to which) for the record named in subject,
    e.g. {"incident": incident}; a task acting on its own shows as "system"."""
    has_account = actor is not None and actor.pk is not None
    return model.objects.create(
        **subject,
        at=at or timezone.now(),
        actor=actor if has_account else None,
        actor_name=actor.get_username() if has_account else "system",
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        comment=str(comment),
        data=audit.json_safe(data),
    )


def log_transition(
    model: type[models.Model],
    subject: dict,
    record: models.Model,
    source: str,
    to: str,
    *,
    actor,
    at=None,
    comment: str = "",
    **shown,
) -> models.Model:
    """A state change written down twice in one go: the record's timeline entry and the audit event, both
    with the fields the step set (`shown`)."""
    event = append_event(
        model,
        subject,
        "transition",
        actor=actor,
        at=at,
        comment=comment,
        from_state=source,
        to_state=to,
        **shown,
    )
    audit.record(
        "transition",
        actor=actor,
        obj=record,
        before={"state": source},
        after={"state": to, **shown},
        comment=comment,
    )
    return event
