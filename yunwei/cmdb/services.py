"""Every change to the inventory goes through here: pages, API, the Excel import and the demo alike (Art. 2).

Item types and relation types are the group's catalogue: only a group system admin changes them. Items
and relations belong to a unit: its unit admins (and group admins) change them. Each call is one
transaction that writes the audit events of what it changed, or nothing.
"""

import datetime
import decimal
import ipaddress
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext as _

from yunwei.core import scoping
from yunwei.core.errors import DomainError
from yunwei.core.records import create_record, delete_record, lock, update_record
from yunwei.org.choices import Domain, UnitKind
from yunwei.org.models import Team
from yunwei.org.services import require_group_admin, require_manage

from . import impact
from .choices import AttributeKind
from .models import Item, ItemType, Relation, RelationType

ATTRIBUTE_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TEXT_MAX = 500
INT_LIMIT = 2**53  # what every JSON reader still reads exactly


# -- attributes -----------------------------------------------------------------------------------


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_attribute(spec: dict, value: Any) -> Any:
    """`value` as stored for an attribute of `spec`'s kind (JSON-safe); ValueError says why not."""
    kind = spec.get("kind", AttributeKind.TEXT)
    if isinstance(value, str):
        value = value.strip()
    if kind == AttributeKind.TEXT:
        text = str(value)
        if len(text) > TEXT_MAX:
            raise ValueError(_("At most %(n)s characters.") % {"n": TEXT_MAX})
        return text
    if kind == AttributeKind.INT:
        if isinstance(value, bool):
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
        try:
            number = decimal.Decimal(str(value))
        except decimal.InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number != number.to_integral_value():
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
        if abs(number) >= INT_LIMIT:
            raise ValueError(_("“%(value)s” is too large.") % {"value": value})
        return int(number)
    if kind == AttributeKind.DECIMAL:
        if isinstance(value, bool):
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value})
        try:
            number = decimal.Decimal(str(value))
        except decimal.InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number) >= INT_LIMIT:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value})
        text = format(number.normalize(), "f")
        return text
    if kind == AttributeKind.BOOL:
        if isinstance(value, bool):
            return value
        lowered = str(value).lower()
        if lowered in {"1", "true", "yes", "y", "是", "有"}:
            return True
        if lowered in {"0", "false", "no", "n", "否", "无"}:
            return False
        raise ValueError(_("“%(value)s” is not yes or no.") % {"value": value})
    if kind == AttributeKind.DATE:
        if isinstance(value, datetime.datetime):
            return value.date().isoformat()
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}) from None
    if kind == AttributeKind.IP:
        try:
            return str(ipaddress.ip_address(str(value)))
        except ValueError:
            raise ValueError(_("“%(value)s” is not an IP address.") % {"value": value}) from None
    if kind == AttributeKind.URL:
        try:
            URLValidator(schemes=["http", "https"])(str(value))
        except ValidationError:
            raise ValueError(_("“%(value)s” is not a web address (http/https).") % {"value": value}) from None
        return str(value)
    if kind == AttributeKind.CHOICE:
        choices = [str(c) for c in spec.get("choices") or []]
        if str(value) not in choices:
            raise ValueError(
                _("“%(value)s” is not one of: %(choices)s") % {"value": value, "choices": ", ".join(choices)}
            )
        return str(value)
    raise ValueError(_("Unknown attribute kind “%(kind)s”.") % {"kind": kind})


def validate_attributes(item_type: ItemType, values) -> dict:
    """The item's attributes checked against its type: known codes, right kinds, required ones present.

    A refusal names the attribute as `attributes.<code>`.
    """
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise DomainError(_("Attributes must be an object of code → value."), field="attributes")
    specs = {spec["code"]: spec for spec in item_type.attributes}
    for code in values:
        if code not in specs:
            raise DomainError(
                _("“%(type)s” has no attribute “%(code)s”.") % {"type": item_type, "code": code},
                field=f"attributes.{code}",
            )
    clean = {}
    for code, spec in specs.items():
        value = values.get(code)
        if _is_blank(value):
            if spec.get("required"):
                raise DomainError(
                    _("%(label)s is required for a %(type)s.")
                    % {"label": _(spec["label"]), "type": item_type},
                    field=f"attributes.{code}",
                )
            continue
        try:
            clean[code] = parse_attribute(spec, value)
        except ValueError as exc:
            raise DomainError(f"{_(spec['label'])}: {exc}", field=f"attributes.{code}") from None
    return clean


def validate_schema(attributes) -> list[dict]:
    """A type's attribute list: each {code, label, kind, required, choices}; codes unique."""
    if not isinstance(attributes, list):
        raise DomainError(_("Attributes must be a list."), field="attributes")
    clean, seen = [], set()
    for index, spec in enumerate(attributes):
        where = f"attributes.{index}"
        if not isinstance(spec, dict):
            raise DomainError(_("Each attribute is an object."), field=where)
        code = str(spec.get("code", "")).strip()
        if not ATTRIBUTE_CODE.match(code):
            raise DomainError(
                _("Attribute code “%(code)s”: lower-case letters, digits and _, starting with a letter.")
                % {"code": code},
                field=where,
            )
        if code in seen:
            raise DomainError(_("Attribute code “%(code)s” appears twice.") % {"code": code}, field=where)
        seen.add(code)
        label = str(spec.get("label") or "").strip()
        if not label:
            raise DomainError(_("Attribute “%(code)s” needs a label.") % {"code": code}, field=where)
        kind = spec.get("kind", AttributeKind.TEXT)
        if kind not in AttributeKind.values:
            raise DomainError(_("Unknown attribute kind “%(kind)s”.") % {"kind": kind}, field=where)
        entry = {"code": code, "label": label, "kind": kind, "required": bool(spec.get("required", False))}
        if kind == AttributeKind.CHOICE:
            choices = spec.get("choices")
            if not isinstance(choices, list) or not choices or any(_is_blank(c) for c in choices):
                raise DomainError(
                    _("Attribute “%(code)s” is a choice: list its choices.") % {"code": code}, field=where
                )
            entry["choices"] = [str(c).strip() for c in choices]
        clean.append(entry)
    return clean


# -- helpers --------------------------------------------------------------------------------------


def _merged(model, instance, fields: dict) -> dict:
    """The record's values after the change: `<fk>` as instances, plain fields as values."""
    merged = {}
    if instance is not None:
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey):
                merged[field.name] = getattr(instance, field.name)
            else:
                merged[field.name] = getattr(instance, field.attname)
    merged.update(fields)
    return merged


def _unit_of(record) -> int | None:
    return record.unit_id if record is not None else None


def default_team(unit, domain: str) -> Team | None:
    """The team that owns `domain` in the item's unit, else the group's (Art. 4: 计算机室, 有线科)."""
    teams = Team.objects.filter(domains__icontains=f'"{domain}"').select_related("unit")
    own = [t for t in teams.filter(unit=unit).order_by("code") if domain in t.domains]
    if own:
        return own[0]
    group = [t for t in teams.filter(unit__kind=UnitKind.GROUP).order_by("code") if domain in t.domains]
    return group[0] if group else None


def _same_unit_or_group(record, unit, field: str, message: str) -> None:
    if record is not None and record.unit_id != unit.pk and record.unit.kind != UnitKind.GROUP:
        raise DomainError(message, field=field)


def _check_item(instance: Item | None, fields: dict) -> dict:
    """Rules of an item whatever the path; returns the fields to write (domain, defaults, attributes)."""
    data = _merged(Item, instance, fields)
    unit, item_type = data.get("unit"), data.get("type")
    if unit is None:
        raise DomainError(_("Choose the unit."), field="unit")
    if not isinstance(item_type, ItemType):
        raise DomainError(_("Choose the item type."), field="type")
    code = str(data.get("code") or "").strip()
    if not code:
        raise DomainError(_("This field is required."), field="code")
    clash = Item.objects.filter(unit=unit, code=code)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise DomainError(_("Code “%(code)s” is already used in this unit.") % {"code": code}, field="code")
    fields["code"] = code
    fields["domain"] = item_type.domain
    if instance is None and fields.get("owner_team") is None:
        fields["owner_team"] = default_team(unit, item_type.domain)
    _same_unit_or_group(
        fields.get("owner_team", data.get("owner_team")),
        unit,
        "owner_team",
        _("The owner team belongs to another unit."),
    )
    _same_unit_or_group(
        data.get("responsible"), unit, "responsible", _("The responsible person belongs to another unit.")
    )
    vendor, contract = data.get("vendor"), data.get("contract")
    if contract is not None:
        if vendor is None:
            fields["vendor"] = vendor = contract.vendor
        elif contract.vendor_id != vendor.pk:
            raise DomainError(_("The contract is with another vendor."), field="contract")
        _same_unit_or_group(contract, unit, "contract", _("The contract belongs to another unit."))
    _same_unit_or_group(vendor, unit, "vendor", _("The vendor belongs to another unit."))
    if "attributes" in fields or "type" in fields or instance is None:
        fields["attributes"] = validate_attributes(item_type, data.get("attributes"))
    if "hostname" in fields:
        fields["hostname"] = (fields["hostname"] or "").strip()
    if "ip" in fields and _is_blank(fields["ip"]):
        fields["ip"] = None
    return fields


def _check_relation(instance: Relation | None, fields: dict, actor) -> dict:
    data = _merged(Relation, instance, fields)
    source, target, rtype = data.get("source"), data.get("target"), data.get("type")
    if not isinstance(source, Item):
        raise DomainError(_("Choose the source item."), field="source")
    if not isinstance(target, Item):
        raise DomainError(_("Choose the target item."), field="target")
    if not isinstance(rtype, RelationType):
        raise DomainError(_("Choose the relation type."), field="type")
    require_manage(actor, source.unit_id)
    if not scoping.visible(Item.objects.filter(pk=target.pk), actor).exists():
        raise DomainError(_("The target item does not exist."), field="target")
    if source.pk == target.pk:
        raise DomainError(_("An item cannot relate to itself."), field="target")
    for end, item, domains, types in (
        ("source", source, rtype.source_domains, rtype.source_types),
        ("target", target, rtype.target_domains, rtype.target_types),
    ):
        if (domains and item.domain not in domains) or (types and item.type.code not in types):
            allowed = [str(Domain(d).label) for d in domains if d in Domain.values] + [
                _(t.name) for t in ItemType.objects.filter(code__in=types)
            ]
            raise DomainError(
                _("“%(relation)s” does not allow a %(type)s as its %(end)s (allowed: %(allowed)s).")
                % {
                    "relation": rtype,
                    "type": item.type,
                    "end": _("source") if end == "source" else _("target"),
                    "allowed": ", ".join(allowed),
                },
                field=end,
            )
    clash = Relation.objects.filter(source=source, target=target, type=rtype)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise DomainError(_("These items are already related this way."), field="target")
    if rtype.is_dependency:
        # Serialise dependency writes: two concurrent relations could each be fine and close a cycle
        # together. Relation writes are rare, so one lock for all of them costs nothing that matters.
        list(RelationType.objects.select_for_update().filter(is_dependency=True).values_list("pk"))
        path = impact.cycle_path(source.pk, target.pk)
        if path:
            raise DomainError(
                _("This relation would close a dependency cycle: %(path)s") % {"path": _path_text(path)},
                field="target",
            )
    fields["unit"] = source.unit
    return fields


def _path_text(ids: list[int]) -> str:
    codes = dict(Item.objects.filter(pk__in=ids).values_list("pk", "code"))
    return " → ".join(codes.get(pk, str(pk)) for pk in ids)


def _check_item_type(instance: ItemType | None, fields: dict) -> dict:
    data = _merged(ItemType, instance, fields)
    code = str(data.get("code") or "").strip()
    clash = ItemType.objects.filter(code=code)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if code and clash.exists():
        raise DomainError(_("“%(value)s” is already in use.") % {"value": code}, field="code")
    if data.get("domain") not in Domain.values:
        raise DomainError(_("Choose the domain."), field="domain")
    moved = instance is not None and "domain" in fields and fields["domain"] != instance.domain
    if moved and instance.items.exists():
        raise DomainError(_("A type that has items cannot move to another domain."), field="domain")
    if "attributes" in fields or instance is None:
        fields["attributes"] = validate_schema(data.get("attributes") or [])
        if instance is not None:
            _check_schema_change(instance, fields["attributes"])
    return fields


def _check_schema_change(item_type: ItemType, attributes: list[dict]) -> None:
    """A new attribute list must not strand the type's items: no attribute that items hold a value
    for is removed or changes kind (or loses a choice in use), and no attribute becomes required
    while items lack it. Each refusal names the attribute and how many items are in the way."""
    items = Item.objects.filter(type=item_type)
    old = {spec["code"]: spec for spec in item_type.attributes}
    new = {spec["code"]: spec for spec in attributes}
    for code, spec in old.items():
        holding = items.filter(attributes__has_key=code)
        if code not in new or new[code]["kind"] != spec.get("kind", AttributeKind.TEXT):
            count = holding.count()
            if count:
                message = (
                    _("Attribute “%(label)s” (%(code)s) has a value on %(count)s items; clear them first.")
                    if code not in new
                    else _(
                        "Attribute “%(label)s” (%(code)s) has a value on %(count)s items; "
                        "its kind cannot change while they do."
                    )
                )
                raise DomainError(
                    message % {"label": _(spec["label"]), "code": code, "count": count}, field="attributes"
                )
        elif new[code]["kind"] == AttributeKind.CHOICE:
            # KeyTransform, not `attributes__<code>`: a code may be a lookup's name ("contains").
            value = KeyTransform(code, "attributes")
            count = holding.annotate(value=value).exclude(value__in=new[code]["choices"]).count()
            if count:
                raise DomainError(
                    _(
                        "Attribute “%(label)s” (%(code)s): %(count)s items hold a choice "
                        "that would be removed."
                    )
                    % {"label": _(spec["label"]), "code": code, "count": count},
                    field="attributes",
                )
    for code, spec in new.items():
        if spec["required"] and not old.get(code, {}).get("required"):
            count = items.exclude(attributes__has_key=code).count()
            if count:
                raise DomainError(
                    _(
                        "Attribute “%(label)s” (%(code)s) cannot be required: %(count)s items have no "
                        "value for it. Add it as optional, fill it in, then make it required."
                    )
                    % {"label": spec["label"], "code": code, "count": count},
                    field="attributes",
                )


def _check_relation_type(instance: RelationType | None, fields: dict) -> dict:
    data = _merged(RelationType, instance, fields)
    code = str(data.get("code") or "").strip()
    clash = RelationType.objects.filter(code=code)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if code and clash.exists():
        raise DomainError(_("“%(value)s” is already in use.") % {"value": code}, field="code")
    for name in ("source_domains", "target_domains"):
        values = data.get(name) or []
        unknown = [d for d in values if d not in Domain.values]
        if not isinstance(values, list) or unknown:
            raise DomainError(
                _("Unknown domain: %(codes)s") % {"codes": ", ".join(map(str, unknown))}, field=name
            )
    for name in ("source_types", "target_types"):
        values = data.get(name) or []
        known = set(ItemType.objects.filter(code__in=values).values_list("code", flat=True))
        unknown = [t for t in values if t not in known]
        if not isinstance(values, list) or unknown:
            raise DomainError(
                _("Unknown item type: %(codes)s") % {"codes": ", ".join(map(str, unknown))}, field=name
            )
    return fields


# -- the one write path ---------------------------------------------------------------------------


@transaction.atomic
def create(model, *, actor, **fields):
    """Create an item, relation, item type or relation type after the permission and field rules."""
    if model is Item:
        require_manage(actor, fields["unit"].pk if fields.get("unit") else None)
        return create_record(Item, actor=actor, **_check_item(None, fields))
    if model is Relation:
        return create_record(Relation, actor=actor, **_check_relation(None, fields, actor))
    require_group_admin(actor)
    if model is ItemType:
        return create_record(ItemType, actor=actor, **_check_item_type(None, fields))
    if model is RelationType:
        return create_record(RelationType, actor=actor, **_check_relation_type(None, fields))
    raise TypeError(f"not an inventory model: {model}")


@transaction.atomic
def update(instance, *, actor, expected_version=None, comment: str = "", **fields):
    """`comment` is kept on the audit event, the record's history (e.g. the change that made it)."""
    if isinstance(instance, Item):
        require_manage(actor, instance.unit_id)
        if "unit" in fields and fields["unit"].pk != instance.unit_id:
            require_manage(actor, fields["unit"].pk)
        fields = _check_item(instance, fields)
        item = update_record(
            instance, actor=actor, expected_version=expected_version, comment=comment, **fields
        )
        for relation in Relation.objects.filter(source=item).exclude(unit_id=item.unit_id):
            update_record(relation, actor=actor, unit=item.unit)  # a relation lives in its source's unit
        return item
    if isinstance(instance, Relation):
        require_manage(actor, instance.unit_id)
        fields = _check_relation(instance, fields, actor)
        return update_record(instance, actor=actor, expected_version=expected_version, **fields)
    require_group_admin(actor)
    if isinstance(instance, ItemType):
        # Locked before its items are counted, so two edits of the schema are checked one at a time.
        instance = lock(ItemType.objects, instance.pk, expected_version)
        fields = _check_item_type(instance, fields)
        return update_record(instance, actor=actor, expected_version=expected_version, **fields)
    if isinstance(instance, RelationType):
        fields = _check_relation_type(instance, fields)
        becomes_dependency = fields.get("is_dependency") and not instance.is_dependency
        updated = update_record(instance, actor=actor, expected_version=expected_version, **fields)
        if becomes_dependency:
            for source_id, target_id in updated.relations.values_list("source_id", "target_id"):
                path = impact.cycle_path(source_id, target_id)
                if path:
                    raise DomainError(
                        _("Its relations would form a dependency cycle: %(path)s")
                        % {"path": _path_text(path)},
                        field="is_dependency",
                    )
        return updated
    raise TypeError(f"not an inventory record: {instance!r}")


@transaction.atomic
def delete(instance, *, actor):
    if isinstance(instance, Item):
        require_manage(actor, instance.unit_id)
        # Each relation's removal is audited on its own, not only as a side effect of the item's.
        for relation in Relation.objects.filter(models.Q(source=instance) | models.Q(target=instance)):
            delete_record(relation, actor=actor)
        delete_record(instance, actor=actor)
        return
    if isinstance(instance, Relation):
        require_manage(actor, instance.unit_id)
        delete_record(instance, actor=actor)
        return
    require_group_admin(actor)
    delete_record(instance, actor=actor)
