"""The tamper-evident audit log (Art. 3 item 3, Art. 11).

Every event carries the SHA-256 of its content and of the previous event's hash, so altering,
removing or slipping in an event breaks the chain where it happened (`services.verify_chain`).
An event is written unnumbered inside the transaction of the change it describes and sealed (numbered
and chained) by `services.seal` just after that commits. Rows are append-only: the model, its queryset
and database triggers (migrations 0002, 0005) refuse UPDATE and DELETE, except the one sealing update
that gives an unsealed event its number and hashes and changes nothing else.
"""

import datetime
import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """Audit rows are written once and never changed or deleted (Art. 11)."""


class Action(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    TRANSITION = "transition", _("State change")
    UNMASK = "unmask", _("Personal data viewed")
    LOGIN = "login", _("Log-in")
    LOGIN_FAILED = "login_failed", _("Failed log-in")
    LOGOUT = "logout", _("Log-out")
    TOKEN_ISSUED = "token_issued", _("API token issued")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    ACCOUNT_DISABLED = "account_disabled", _("Account disabled")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit events cannot be deleted")


class AuditEvent(models.Model):
    """One audited act: who did what to which record, when, with the values before and after (Art. 3, 11).

    Written only by `services.record`, unnumbered; `services.seal` then numbers events 1, 2, 3 …
    without gaps in the order it finds them committed, and chains their hashes. Until then `seq` is
    empty and `prev_hash` and `hash` are blank. `actor` has no database constraint so deleting an
    account never touches its audit trail; `actor_name` keeps the name it had. `unit_id` is a plain
    number for the same reason, and because the audit app depends on no other app.
    """

    seq = models.PositiveBigIntegerField(_("number"), unique=True, null=True, blank=True)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    unit_id = models.BigIntegerField(_("unit ID"), null=True, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        # `actor` is indexed as a foreign key already.
        indexes = [
            models.Index(fields=["at"], name="audit_event_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_event_object"),
            models.Index(fields=["unit_id"], name="audit_event_unit"),
            # The sealer's and the freshness check's lookup: the few events not yet sealed, oldest first.
            models.Index(fields=["id"], condition=Q(seq__isnull=True), name="audit_event_unsealed"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq or '-'} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be deleted")

    @property
    def sealed(self) -> bool:
        return self.seq is not None

    def compute_hash(self) -> str:
        """SHA-256 over a canonical JSON of everything the event says, including the previous hash."""
        content = {
            "seq": self.seq,
            "at": self.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "action": str(self.action),
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "unit_id": self.unit_id,
            "before": self.before,
            "after": self.after,
            "comment": self.comment,
            "prev_hash": self.prev_hash,
        }
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class AuditChainHead(models.Model):
    """The last event's number and hash (Art. 11), one row (id 1).

    Only the sealer locks this row (never the writers of events), and only for its own short
    transaction: one sealer at a time numbers events without gaps or duplicates and sees the hash it
    must chain to; comparing it with the last event reveals a removed or appended tail.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class ChainCheck(models.Model):
    """One verification of the chain, kept so the audit page shows the last result and its age.

    Machine data: written without an audit event of its own (a check must not lengthen what it checks).
    """

    class Kind(models.TextChoices):
        FULL = "full", _("full walk")
        INCREMENTAL = "incremental", _("since the last head written outside")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), db_index=True)
    ok = models.BooleanField(_("intact"))
    # Where the walk began (0 for a full walk) and how many events it found intact.
    from_seq = models.PositiveBigIntegerField(default=0)
    checked = models.PositiveBigIntegerField(default=0)
    first_bad_seq = models.PositiveBigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=16, blank=True)
    # The heads written outside: how many the walk compared, the last that agreed, the first that did not.
    anchors_compared = models.PositiveIntegerField(default=0)
    agreed_seq = models.PositiveBigIntegerField(null=True, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    disagreed_seq = models.PositiveBigIntegerField(null=True, blank=True)
    disagreed_at = models.DateTimeField(null=True, blank=True)
    # How fresh the seal was: events recorded but not yet sealed when the walk ended, and the oldest's time.
    unsealed = models.PositiveIntegerField(default=0)
    oldest_unsealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-finished_at"]
        verbose_name = _("chain check")
        verbose_name_plural = _("chain checks")

    def __str__(self) -> str:
        return f"{self.kind} {self.finished_at:%Y-%m-%d %H:%M} {'ok' if self.ok else self.reason}"
