"""People's acts on alert intake (Art. 3), each audited: integrations (create, edit, rotate the token,
delete), their mapping rules, and mapping an unmatched alert to its item (its siblings with it)."""

import json
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.cmdb.models import Item
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.records import create_record, delete_record, update_record
from yunwei.core.scoping import access_of
from yunwei.org.models import Unit

from ..choices import WAITING, AlertChange, IntegrationKind, MatchField, MatchState
from ..models import Alert, Integration, LabelMapping, MappingRule, new_rules_key
from . import parsing
from .history import alert_changed, ask_for_correlation
from .intake import instance_host, token_hash

MAX_REPLICA_LABELS = 20


# -- who may act ----------------------------------------------------------------------------------


def may_manage(actor, unit_id: int | None) -> bool:
    """The unit's system admins (and the group's) set up its integrations and their rules."""
    return access_of(actor).can_manage_unit(unit_id)


def require_manage(actor, unit_id: int | None) -> None:
    if not may_manage(actor, unit_id):
        raise PermissionDenied(_("You may not manage the alert integrations of this unit."))


def may_map(actor, unit_id: int | None) -> bool:
    """Admins and the unit's technical staff map unmatched alerts (operational work, Art. 13)."""
    return access_of(actor).can_handle_unit(unit_id)


# -- integrations ---------------------------------------------------------------------------------


def new_token() -> str:
    return "yw_" + secrets.token_urlsafe(32)


def _check(instance: Integration | None, fields: dict) -> dict:
    unit = fields.get("unit", instance.unit if instance else None)
    if not isinstance(unit, Unit):
        raise DomainError(_("Choose the unit."), field="unit")
    name = str(fields.get("name", instance.name if instance else "") or "").strip()
    if not name:
        raise DomainError(_("This field is required."), field="name")
    kind = fields.get("kind", instance.kind if instance else "")
    if kind not in IntegrationKind.values:
        raise DomainError(_("Choose the kind of source."), field="kind")
    if instance is not None and kind != instance.kind:
        raise DomainError(_("The kind of an integration cannot change: create another."), field="kind")
    replicas = fields.get("replica_labels", instance.replica_labels if instance else ["prometheus_replica"])
    if not isinstance(replicas, list) or len(replicas) > MAX_REPLICA_LABELS:
        raise DomainError(_("Give a list of label names."), field="replica_labels")
    cleaned = [str(label).strip() for label in replicas if str(label).strip()]
    if any(not isinstance(label, str) for label in replicas):
        raise DomainError(_("Give a list of label names."), field="replica_labels")
    fields["replica_labels"] = cleaned
    secret = fields.get("hmac_secret", instance.hmac_secret if instance else "")
    required = fields.get("signature_required", instance.signature_required if instance else False)
    if required and not secret:
        raise DomainError(_("A required signature needs an HMAC secret."), field="hmac_secret")
    if secret and len(secret) < 16:
        raise DomainError(_("Give a secret of at least 16 characters."), field="hmac_secret")
    for name_, low, high in (
        ("signature_window", 10, 3600),
        ("repeat_interval", 60, 7 * 86400),
        ("quiet_after", 60, 7 * 86400),
        ("payload_retention_days", 1, 3650),
        ("stale_factor", 1, 100),
    ):
        value = fields.get(name_, getattr(instance, name_, None) if instance else None)
        if value is not None and not low <= int(value) <= high:
            raise DomainError(
                _("Give a number between %(low)s and %(high)s.") % {"low": low, "high": high}, field=name_
            )
    fields["name"] = name
    return fields


@transaction.atomic
def create_integration(*, actor, **fields) -> tuple[Integration, str]:
    """The integration and its token, to be shown once (only its hash is stored)."""
    unit = fields.get("unit")
    require_manage(actor, unit.pk if isinstance(unit, Unit) else None)
    fields = _check(None, fields)
    token = new_token()
    integration = create_record(
        Integration, actor=actor, token_hash=token_hash(token), token_hint=token[-4:], **fields
    )
    return integration, token


@transaction.atomic
def update_integration(integration: Integration, *, actor, expected_version: int | None = None, **fields):
    require_manage(actor, integration.unit_id)
    if "unit" in fields and getattr(fields["unit"], "pk", None) != integration.unit_id:
        raise DomainError(_("An integration stays in its unit: create another."), field="unit")
    fields = _check(integration, fields)
    return update_record(integration, actor=actor, expected_version=expected_version, **fields)


@transaction.atomic
def rotate_token(
    integration: Integration, *, actor, expected_version: int | None = None
) -> tuple[Integration, str]:
    """A new token; the old one stops working at once. Audited without the token or its hash."""
    require_manage(actor, integration.unit_id)
    token = new_token()
    updated = update_record(
        integration,
        actor=actor,
        expected_version=expected_version,
        comment=_("Token rotated."),
        token_hash=token_hash(token),
        token_hint=token[-4:],
    )
    return updated, token


@transaction.atomic
def delete_integration(integration: Integration, *, actor) -> None:
    """An integration with alerts is kept (they will live as long as their incidents): refused."""
    require_manage(actor, integration.unit_id)
    delete_record(integration, actor=actor)


# -- mapping rules --------------------------------------------------------------------------------


def sample_labels(integration: Integration) -> dict:
    """What a rule is tried on: the labels of the integration's latest alert, else its kind's sample."""
    latest = Alert.objects.filter(integration=integration).order_by("-last_seen_at", "-id").first()
    return latest.labels if latest is not None else dict(parsing.SAMPLES[integration.kind])


def rule_key(label: str, field: str, labels: dict) -> str:
    value = (labels.get(label) or "").strip()
    return instance_host(value) if value and field == MatchField.INSTANCE else value


def _check_rule(integration: Integration, fields: dict, sample: dict | None) -> dict:
    label = str(fields.get("label") or "").strip()
    if not label:
        raise DomainError(_("This field is required."), field="label")
    if fields.get("field") not in MatchField.values:
        raise DomainError(_("Choose the item field."), field="field")
    labels = sample if sample is not None else sample_labels(integration)
    if not isinstance(labels, dict):
        raise DomainError(_("Give the sample as an object of labels."), field="sample")
    if not rule_key(label, fields["field"], labels):
        raise DomainError(
            _(
                "The label “%(label)s” is empty in the sample, so this rule would place nothing. "
                "Sample: %(sample)s"
            )
            % {"label": label, "sample": json.dumps(labels, ensure_ascii=False, sort_keys=True)},
            field="label",
        )
    fields["label"] = label
    return fields


def rules_changed(integration_id: int) -> None:
    """A rule or a hand mapping was written: intake reads the integration's rules again (a new key)."""
    Integration.objects.filter(pk=integration_id).update(rules_key=new_rules_key())


@transaction.atomic
def create_rule(*, actor, integration: Integration, sample: dict | None = None, **fields) -> MappingRule:
    require_manage(actor, integration.unit_id)
    fields = _check_rule(integration, fields, sample)
    if "position" not in fields or fields["position"] is None:
        last = MappingRule.objects.filter(integration=integration).order_by("-position").first()
        fields["position"] = (last.position + 1) if last else 1
    rule = create_record(MappingRule, actor=actor, integration=integration, **fields)
    rules_changed(integration.pk)
    return rule


@transaction.atomic
def update_rule(rule: MappingRule, *, actor, expected_version=None, sample: dict | None = None, **fields):
    require_manage(actor, rule.integration.unit_id)
    fields.pop("integration", None)
    merged = {"label": rule.label, "field": rule.field, **fields}
    merged = _check_rule(rule.integration, merged, sample)
    fields.update(label=merged["label"], field=merged["field"])
    rule = update_record(rule, actor=actor, expected_version=expected_version, **fields)
    rules_changed(rule.integration_id)
    return rule


@transaction.atomic
def delete_rule(rule: MappingRule, *, actor) -> None:
    require_manage(actor, rule.integration.unit_id)
    delete_record(rule, actor=actor)
    rules_changed(rule.integration_id)


# -- the unmatched queue --------------------------------------------------------------------------


def siblings(alert: Alert):
    """The alerts waiting with the same key: same integration, same label, same value."""
    if not alert.match_label or not alert.match_value:
        return Alert.objects.filter(pk=alert.pk)
    return Alert.objects.filter(
        integration_id=alert.integration_id,
        match__in=WAITING,
        match_label=alert.match_label,
        match_value=alert.match_value,
    )


@transaction.atomic
def map_alert(alert: Alert, item: Item, *, actor) -> list[int]:
    """Put a waiting alert on `item`, with every waiting sibling (same label value), and remember the
    value so later alerts with it land there too. Audited once for the act; returns the ids mapped."""
    if not may_map(actor, alert.unit_id):
        raise PermissionDenied(_("You may not map the alerts of this unit."))
    if not isinstance(item, Item) or item.unit_id != alert.unit_id:
        raise DomainError(_("Choose an item of the alert's unit."), field="item")
    if alert.match not in WAITING:
        raise DomainError(_("This alert is already on an item."), field="item")
    now = timezone.now()
    ids = list(siblings(alert).select_for_update().values_list("pk", flat=True))
    if alert.match_label and alert.match_value:
        LabelMapping.objects.update_or_create(
            integration_id=alert.integration_id,
            label=alert.match_label,
            value=alert.match_value,
            defaults={"item": item},
        )
        rules_changed(alert.integration_id)
    Alert.objects.filter(pk__in=ids).update(item=item, match=MatchState.MANUAL)
    for sibling in Alert.objects.filter(pk__in=ids):
        alert_changed(
            sibling,
            AlertChange.MAPPED,
            at=now,
            actor=actor,
            comment=str(item),
            item=item.pk,
            item_code=item.code,
        )
    ask_for_correlation()
    audit.record(
        "update",
        actor=actor,
        obj=alert,
        before={"match": alert.match, "item_id": None},
        after={"match": MatchState.MANUAL, "item_id": item.pk, "mapped_alerts": ids},
        comment=_("Mapped by hand with its siblings (%(label)s=%(value)s).")
        % {"label": alert.match_label or "—", "value": alert.match_value or "—"},
    )
    return ids
