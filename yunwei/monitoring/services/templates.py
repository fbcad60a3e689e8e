"""Check templates (Art. 3: every server of a type watched alike): a probe written once for an item type,
with the item's own values as placeholders, applied in bulk to the items of the type, and followed by the
checks made from it (docs/probes.md, "Templates").

The rules, in one place:

- A template of the group applies to the items of every unit, and only a group system admin manages one;
  a template of a unit applies to that unit's items, managed by those who manage the unit's checks.
- Applying creates a check for every item of the type in scope (retired items left out) that has none
  from the template, and brings the template's fields of the existing ones up to date (an item's address
  may have changed). An item whose placeholder comes out empty, or whose filled-in settings the probe
  would refuse, is skipped and reported with the placeholder or the reason; the others are written in
  one transaction with one audit event per unit, not one per check.
- The fields a template owns (`TEMPLATE_OWNED` in checks.py) always follow it: an edit of the template
  re-renders every check made from it in the same transaction (refused whole, naming the item, when
  one of them cannot be filled in), and a hand edit of one of those fields on such a check is refused.
- Deleting a template detaches its checks: they keep running with their last settings, as checks of
  their own.
"""

import dataclasses
import string
from collections import defaultdict

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.cmdb.choices import AttributeKind, ItemStatus
from yunwei.cmdb.models import Item, ItemType
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.records import create_record, delete_record, lock, update_record
from yunwei.core.scoping import access_of
from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit

from ..models import Check, CheckTemplate
from .checks import TEMPLATE_OWNED, _check_check, check_spec
from .heartbeats import may_manage

# The placeholders of the item's own fields; `{attr.<code>}` reads one of the type's attributes.
PLACEHOLDERS = ("host", "ip", "hostname", "code", "name")
ATTRIBUTE_PREFIX = "attr."
BATCH = 500
_FORMATTER = string.Formatter()
# What a placeholder stands for while a template is checked without an item (documentation addresses).
_SAMPLE_ATTRIBUTES = {
    AttributeKind.INT: "1",
    AttributeKind.DECIMAL: "1",
    AttributeKind.IP: "192.0.2.1",
    AttributeKind.URL: "http://sample.invalid/",
}


# -- who may manage -------------------------------------------------------------------------------


def template_refusal(actor, unit: Unit | None) -> str:
    """Why `actor` may not manage the templates of `unit` ("" when they may)."""
    if not isinstance(unit, Unit):
        return _("You may not manage the check templates of this unit.")
    if unit.kind == UnitKind.GROUP:
        if access_of(actor).is_group_admin:
            return ""
        return _("Only a group system admin manages the group's check templates: they apply to every unit.")
    if may_manage(actor, unit.pk):
        return ""
    return _("You may not manage the check templates of this unit.")


def may_manage_template(actor, unit: Unit | None) -> bool:
    return not template_refusal(actor, unit)


def require_manage_template(actor, unit: Unit | None) -> None:
    refusal = template_refusal(actor, unit)
    if refusal:
        raise PermissionDenied(refusal)


# -- placeholders ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Skip:
    """An item left without a check: the placeholder that came out empty, or why the probe refused the
    settings filled in for it."""

    item: Item
    placeholder: str = ""
    reason: str = ""

    @property
    def why(self) -> str:
        if self.placeholder:
            return _("{%(placeholder)s} is empty for this item") % {"placeholder": self.placeholder}
        return self.reason


class Unfilled(Exception):
    def __init__(self, placeholder: str = "", reason: str = ""):
        super().__init__(placeholder or reason)
        self.placeholder = placeholder
        self.reason = reason


def _pieces(text: str) -> list[tuple[str, str | None]]:
    """The literal text and the placeholder of each piece of `text` (`{{` and `}}` are braces)."""
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError:
        raise DomainError(
            _("A brace without its pair in “%(text)s”: write {{ or }} for a brace itself.") % {"text": text},
            field="spec",
        ) from None
    pieces = []
    for literal, name, format_spec, conversion in parsed:
        if name is not None and (format_spec or conversion):
            name = f"{name}{'!' + conversion if conversion else ''}{':' + format_spec if format_spec else ''}"
        pieces.append((literal, name))
    return pieces


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)


def placeholders_of(spec) -> set[str]:
    """The placeholders the spec's texts name."""
    return {name for text in _strings(spec) for _literal, name in _pieces(text) if name is not None}


def check_placeholders(spec, item_type: ItemType) -> None:
    """Refuse, naming the spec, a placeholder that is not one of the item's values or of its type's
    attributes."""
    codes = {attribute.get("code") for attribute in item_type.attributes}
    for name in sorted(placeholders_of(spec)):
        if name in PLACEHOLDERS:
            continue
        if name.startswith(ATTRIBUTE_PREFIX) and name[len(ATTRIBUTE_PREFIX) :]:
            code = name[len(ATTRIBUTE_PREFIX) :]
            if code in codes:
                continue
            raise DomainError(
                _("Unknown placeholder {%(name)s}: the item type “%(type)s” has no attribute “%(code)s”.")
                % {"name": name, "type": item_type.label, "code": code},
                field="spec",
            )
        raise DomainError(
            _(
                "Unknown placeholder {%(name)s}: use {host}, {ip}, {hostname}, {code}, {name} or "
                "{attr.<code>} with an attribute of the type."
            )
            % {"name": name},
            field="spec",
        )


def values_of(item: Item) -> dict[str, str]:
    """What each placeholder stands for on `item` ("" when the item has no value)."""
    values = {
        "host": item.ip or item.hostname or "",
        "ip": item.ip or "",
        "hostname": item.hostname or "",
        "code": item.code or "",
        "name": item.name or "",
    }
    for code, value in (item.attributes or {}).items():
        values[f"{ATTRIBUTE_PREFIX}{code}"] = "" if value is None else str(value)
    return values


def render(spec, values: dict[str, str]):
    """The spec with every placeholder filled in from `values`; Unfilled names the first one empty."""
    if isinstance(spec, str):
        out = []
        for literal, name in _pieces(spec):
            out.append(literal)
            if name is not None:
                value = values.get(name, "")
                if value == "":
                    raise Unfilled(placeholder=name)
                out.append(value)
        return "".join(out)
    if isinstance(spec, dict):
        return {key: render(value, values) for key, value in spec.items()}
    if isinstance(spec, list):
        return [render(value, values) for value in spec]
    return spec


def _sample_item(unit: Unit | None, item_type: ItemType) -> Item:
    """An item of the type with a value for every placeholder, to check a template without applying it."""
    attributes = {
        attribute["code"]: _SAMPLE_ATTRIBUTES.get(attribute.get("kind"), "sample")
        for attribute in item_type.attributes
        if attribute.get("code")
    }
    return Item(
        unit=unit,
        type=item_type,
        code="SAMPLE",
        name="sample",
        ip="192.0.2.1",
        hostname="sample.invalid",
        attributes=attributes,
    )


def check_name(template: CheckTemplate, item: Item) -> str:
    return f"{template.name} · {item.code}"[:200]


def check_fields(template: CheckTemplate, item: Item) -> dict:
    """The fields a check of `item` takes from the template; Unfilled when the item lacks a value or the
    probe would refuse the settings filled in."""
    spec = render(template.spec or {}, values_of(item))
    try:
        spec = check_spec(template.kind, spec)
    except DomainError as exc:
        raise Unfilled(reason=exc.message) from None
    return {
        "name": check_name(template, item),
        "kind": template.kind,
        "spec": spec,
        "interval": template.interval,
        "retry_interval": template.retry_interval,
        "fail_after": template.fail_after,
        "recover_after": template.recover_after,
    }


# -- the template itself --------------------------------------------------------------------------


def _check_template(instance: CheckTemplate | None, fields: dict) -> dict:
    """The rules of a template whatever the path; returns the fields to write."""
    base = instance if instance is not None else CheckTemplate()
    names = ("name", "kind", "spec", "interval", "retry_interval", "fail_after", "recover_after")
    merged = {name: getattr(base, name) for name in names}
    merged["unit"] = instance.unit if instance is not None else None
    merged["item_type"] = instance.item_type if instance is not None else None
    merged.update(fields)
    if not isinstance(merged["unit"], Unit):
        raise DomainError(_("Choose the unit owning the template."), field="unit")
    item_type = merged["item_type"]
    if not isinstance(item_type, ItemType):
        raise DomainError(_("Choose the item type the template applies to."), field="item_type")
    if instance is not None and instance.checks.exists():
        for name in ("unit", "item_type"):
            if name in fields and fields[name] != getattr(instance, name):
                raise DomainError(
                    _("The template has checks: its unit and item type stay; make a new template."),
                    field=name,
                )
    if not str(merged.get("name") or "").strip():
        raise DomainError(_("This field is required."), field="name")
    if not isinstance(merged.get("spec"), dict):
        raise DomainError(_("The probe settings must be a JSON object."), field="spec")
    check_placeholders(merged["spec"], item_type)
    # The check the template makes of an item having every value: the checks' own rules, field by field.
    sample = _sample_item(merged["unit"], item_type)
    spec = render(merged["spec"], values_of(sample))
    _check_check(None, {**{name: merged[name] for name in names}, "spec": spec, "item": sample})
    if "spec" in fields:
        fields["spec"] = {key: value for key, value in fields["spec"].items() if key != "type"}
    return fields


def items_in_scope(template: CheckTemplate) -> QuerySet:
    """The items a template applies to: of its type, of its unit (every unit for the group's), not retired."""
    items = Item.objects.filter(type_id=template.item_type_id).exclude(status=ItemStatus.RETIRED)
    if template.unit.kind != UnitKind.GROUP:
        items = items.filter(unit_id=template.unit_id)
    return items


def items_missing(template: CheckTemplate) -> QuerySet:
    """The items in the template's scope with no check from it."""
    return items_in_scope(template).exclude(pk__in=Check.objects.filter(template=template).values("item_id"))


@transaction.atomic
def create_template(*, actor, **fields) -> CheckTemplate:
    require_manage_template(actor, fields.get("unit"))
    fields = _check_template(None, fields)
    return create_record(CheckTemplate, actor=actor, **fields)


@transaction.atomic
def update_template(
    template: CheckTemplate, *, actor, expected_version: int | None = None, **fields
) -> CheckTemplate:
    """The template and, in the same transaction, every check made from it (its fields re-rendered)."""
    require_manage_template(actor, template.unit)
    if "unit" in fields and fields["unit"] != template.unit:
        require_manage_template(actor, fields["unit"])
    # Read locked: the caller's copy may be older than the stored row.
    was_enabled = (
        CheckTemplate.objects.select_for_update().values_list("enabled", flat=True).get(pk=template.pk)
    )
    fields = _check_template(template, fields)
    template = update_record(template, actor=actor, expected_version=expected_version, **fields)
    _follow(template, actor=actor, strict=True)
    if was_enabled != template.enabled:
        # Disabled: its checks are not due (the dispatcher picks only a stored next run); enabled: due now.
        checks = Check.objects.filter(template=template)
        next_run = timezone.now() if template.enabled else None
        checks.update(next_run_at=next_run, version=F("version") + 1, updated_at=timezone.now())
    return template


@transaction.atomic
def delete_template(template: CheckTemplate, *, actor) -> None:
    """The template goes; its checks stay, detached, with their last settings (one audit event per unit)."""
    require_manage_template(actor, template.unit)
    template = lock(CheckTemplate.objects.select_related("unit"), template.pk)
    checks = list(Check.objects.filter(template=template).select_related("item").order_by("pk"))
    _audit_bulk("update", checks, template, actor=actor, comment=DETACHED, detached=True)
    now = timezone.now()
    Check.objects.filter(template=template).update(template=None, version=F("version") + 1, updated_at=now)
    delete_record(template, actor=actor)


# -- applying and following -----------------------------------------------------------------------


@dataclasses.dataclass
class Applied:
    """What applying a template did: the checks created, those brought up to date, the items skipped."""

    created: list[Check] = dataclasses.field(default_factory=list)
    updated: list[Check] = dataclasses.field(default_factory=list)
    skipped: list[Skip] = dataclasses.field(default_factory=list)


# The comments of the bulk acts' audit events (stored as written: the events' own words, not the reader's).
CREATED = "checks created from the template"
FOLLOWED = "checks updated to follow the template"
DETACHED = "checks detached from the deleted template"


def _audit_bulk(
    action: str,
    checks: list[Check],
    template: CheckTemplate,
    *,
    actor,
    comment: str,
    fields=(),
    detached=False,
) -> None:
    """One audit event per unit for the checks a bulk act wrote, not one per check. The event is the
    template's (filter the log by it), in the checks' unit (its readers see what happened to their checks),
    and lists the checks in `after`."""
    by_unit = defaultdict(list)
    for check in checks:
        by_unit[check.unit_id].append(check)
    for unit_id, rows in sorted(by_unit.items()):
        after = {
            "template": None if detached else template.pk,
            "checks": [{"id": check.pk, "item": check.item.code, "name": check.name} for check in rows],
        }
        if fields:
            after["fields"] = sorted(fields)
        audit.record(
            action,
            actor=actor,
            object_type=CheckTemplate._meta.label_lower,
            object_id=str(template.pk),
            object_repr=_("%(count)s checks of “%(template)s”") % {"count": len(rows), "template": template},
            unit_id=unit_id,
            before={"template": template.pk} if detached else None,
            after=after,
            comment=comment,
        )


def _follow(template: CheckTemplate, *, actor, strict: bool) -> tuple[list[Check], list[Skip]]:
    """Bring the template's fields of every check made from it up to date. `strict`: an item that can no
    longer be filled in refuses the whole act, naming the item and the placeholder."""
    checks = list(Check.objects.filter(template=template).select_related("item").order_by("pk"))
    changed, skipped, names = [], [], set()
    now = timezone.now()
    for check in checks:
        try:
            fields = check_fields(template, check.item)
        except Unfilled as exc:
            skip = Skip(check.item, exc.placeholder, exc.reason)
            if strict:
                raise DomainError(
                    _("The check of %(item)s cannot follow: %(why)s.")
                    % {"item": check.item, "why": skip.why},
                    field="spec",
                ) from None
            skipped.append(skip)
            continue
        differing = {name for name, value in fields.items() if getattr(check, name) != value}
        if differing:
            for name in differing:
                setattr(check, name, fields[name])
            check.version += 1
            check.updated_at = now
            changed.append(check)
            names |= differing
    if changed:
        # The fields the template gives every check alike are one UPDATE; only those differing per item
        # (the name, the spec) go through bulk_update, whose CASE per row and field is the costly part.
        ids = [check.pk for check in changed]
        shared = {name: fields_of_template(template)[name] for name in names if name not in PER_ITEM}
        for start in range(0, len(ids), BATCH):
            Check.objects.filter(pk__in=ids[start : start + BATCH]).update(
                **shared, version=F("version") + 1, updated_at=now
            )
        per_item = sorted(names & PER_ITEM)
        if per_item:
            Check.objects.bulk_update(changed, per_item, batch_size=BATCH)
        _audit_bulk("update", changed, template, actor=actor, comment=FOLLOWED, fields=names)
    return changed, skipped


# The owned fields whose value differs from item to item; the others are the template's own values.
PER_ITEM = {"name", "spec"}


def fields_of_template(template: CheckTemplate) -> dict:
    return {name: getattr(template, name) for name in TEMPLATE_OWNED if name not in PER_ITEM | {"item"}}


@transaction.atomic
def apply_template(template: CheckTemplate, *, actor) -> Applied:
    """A check for every item of the type in the template's scope that has none from it yet, and the
    existing ones brought up to date; items that cannot be filled in are skipped and reported. Applying
    again creates nothing new."""
    require_manage_template(actor, template.unit)
    # Locked: two applies at once would both see an item without its check and make two.
    template = lock(CheckTemplate.objects.select_related("unit", "item_type"), template.pk)
    if not template.enabled:
        raise DomainError(_("The template is disabled: enable it before applying it."), field="enabled")
    applied = Applied()
    applied.updated, applied.skipped = _follow(template, actor=actor, strict=False)
    now = timezone.now()
    new = []
    for item in items_missing(template).select_related("unit").order_by("unit__code", "code"):
        try:
            fields = check_fields(template, item)
        except Unfilled as exc:
            applied.skipped.append(Skip(item, exc.placeholder, exc.reason))
            continue
        new.append(Check(item=item, unit_id=item.unit_id, template=template, next_run_at=now, **fields))
    applied.created = Check.objects.bulk_create(new, batch_size=BATCH)
    if any(check.pk is None for check in applied.created):  # a backend that returns no keys
        applied.created = list(
            Check.objects.filter(template=template, item__in=[check.item for check in new]).select_related(
                "item"
            )
        )
    _audit_bulk("create", applied.created, template, actor=actor, comment=CREATED)
    return applied


def template_checks(template: CheckTemplate) -> QuerySet:
    return Check.objects.filter(template=template)


def missing_with_reasons(template: CheckTemplate, limit: int = 50) -> tuple[int, list[tuple[Item, str]]]:
    """How many items of the scope have no check from the template, and the first `limit` of them with
    why applying would skip them ("" when applying would create their check)."""
    missing = items_missing(template).select_related("unit").order_by("unit__code", "code")
    rows = []
    for item in missing[:limit]:
        try:
            check_fields(template, item)
            rows.append((item, ""))
        except Unfilled as exc:
            rows.append((item, Skip(item, exc.placeholder, exc.reason).why))
    return missing.count(), rows


__all__ = [
    "ATTRIBUTE_PREFIX",
    "PLACEHOLDERS",
    "Applied",
    "Skip",
    "apply_template",
    "check_fields",
    "create_template",
    "delete_template",
    "items_in_scope",
    "items_missing",
    "may_manage_template",
    "missing_with_reasons",
    "require_manage_template",
    "template_checks",
    "template_refusal",
    "update_template",
]
