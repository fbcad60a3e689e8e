"""A request type's form fields: checking their definition (the catalogue) and the values a requester
sends (text, choice, date, person, inventory item, attachment with its size and type checked)."""

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from yunwei.cmdb.models import Item
from yunwei.core import uploads as upload_limits
from yunwei.core.errors import DomainError
from yunwei.core.filters import is_id
from yunwei.org.models import Person

from .choices import FieldKind

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DEFAULT_MAX_KB = 5 * 1024
# Types an attachment may be when the field names none: documents and pictures, never programs.
DEFAULT_TYPES = ("pdf", "png", "jpg", "jpeg", "txt", "docx", "xlsx", "csv", "zip")
MAX_KB = 20 * 1024
RESERVED = {"title", "description", "type", "unit", "code"}


def check_definition(fields) -> list[dict]:
    """The catalogue's field list, checked: each a name, a label and a known kind; choices for a choice;
    size and types for an attachment. Refused naming the field at fault."""
    if not isinstance(fields, list):
        raise DomainError(_("The form fields must be a list."), field="fields")
    seen = set()
    checked = []
    for number, spec in enumerate(fields, start=1):
        if not isinstance(spec, dict):
            raise DomainError(_("Form field %(n)s is not an object.") % {"n": number}, field="fields")
        name = str(spec.get("name", ""))
        if not NAME.match(name) or name in RESERVED:
            raise DomainError(
                _("Form field %(n)s: the name must be lower-case letters, digits and _ (not %(name)s).")
                % {"n": number, "name": name or "—"},
                field="fields",
            )
        if name in seen:
            raise DomainError(_("Form field %(name)s is named twice.") % {"name": name}, field="fields")
        seen.add(name)
        kind = spec.get("kind")
        if kind not in FieldKind.values:
            raise DomainError(
                _("Form field %(name)s: unknown kind “%(kind)s”.") % {"name": name, "kind": kind},
                field="fields",
            )
        entry = {
            "name": name,
            "label": str(spec.get("label") or name)[:100],
            "kind": kind,
            "required": bool(spec.get("required", False)),
        }
        if kind == FieldKind.CHOICE:
            choices = spec.get("choices")
            if not isinstance(choices, list) or not choices or not all(isinstance(c, str) for c in choices):
                raise DomainError(
                    _("Form field %(name)s: a choice needs a list of choices.") % {"name": name},
                    field="fields",
                )
            entry["choices"] = choices
        if kind == FieldKind.ATTACHMENT:
            max_kb = spec.get("max_kb", DEFAULT_MAX_KB)
            if not isinstance(max_kb, int) or not 0 < max_kb <= MAX_KB:
                raise DomainError(
                    _("Form field %(name)s: the size limit must be 1 to %(max)s KB.")
                    % {"name": name, "max": MAX_KB},
                    field="fields",
                )
            types = spec.get("types", list(DEFAULT_TYPES))
            if not isinstance(types, list) or not types:
                raise DomainError(
                    _("Form field %(name)s: name the file types allowed.") % {"name": name}, field="fields"
                )
            entry["max_kb"] = max_kb
            entry["types"] = [str(t).lower().lstrip(".") for t in types]
        checked.append(entry)
    return checked


@dataclass
class Upload:
    """A file sent for an attachment field (from a form's UploadedFile or the API's base64)."""

    name: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


def _required(spec: dict) -> DomainError:
    return DomainError(_("%(label)s: this field is required.") % {"label": spec["label"]}, field=spec["name"])


def clean_values(
    definition: list[dict], unit, data: dict, files: dict
) -> tuple[dict, list[tuple[str, Upload]]]:
    """The values of a request's form, checked against its type's fields: (values, attachments)."""
    values: dict = {}
    uploads: list[tuple[str, Upload]] = []
    for spec in definition:
        name, kind = spec["name"], spec["kind"]
        if kind == FieldKind.ATTACHMENT:
            upload = files.get(name)
            if upload is None:
                if spec["required"]:
                    raise _required(spec)
                continue
            upload_limits.check_file(
                upload,
                field=name,
                label=spec["label"],
                max_bytes=spec["max_kb"] * 1024,
                types=spec["types"],
                limit_text=f"{spec['max_kb']} KB",
            )
            uploads.append((name, upload))
            values[name] = upload.name[:200]
            continue
        raw = data.get(name)
        raw = "" if raw is None else raw
        text = str(raw).strip()
        if not text:
            if spec["required"]:
                raise _required(spec)
            continue
        if kind in (FieldKind.TEXT, FieldKind.TEXTAREA):
            limit = 200 if kind == FieldKind.TEXT else 5000
            if len(text) > limit:
                raise DomainError(
                    _("%(label)s: at most %(max)s characters.") % {"label": spec["label"], "max": limit},
                    field=name,
                )
            values[name] = text
        elif kind == FieldKind.CHOICE:
            if text not in spec["choices"]:
                raise DomainError(
                    _("%(label)s: “%(value)s” is not one of the choices.")
                    % {"label": spec["label"], "value": text},
                    field=name,
                )
            values[name] = text
        elif kind == FieldKind.DATE:
            try:
                values[name] = datetime.date.fromisoformat(text).isoformat()
            except ValueError:
                raise DomainError(
                    _("%(label)s: give a date as YYYY-MM-DD.") % {"label": spec["label"]}, field=name
                ) from None
        elif kind in (FieldKind.PERSON, FieldKind.ITEM):
            model = Person if kind == FieldKind.PERSON else Item
            # Only the request's unit's people and items: another unit's is as good as missing.
            found = model.objects.filter(pk=int(text), unit=unit).first() if is_id(text) else None
            if found is None:
                raise DomainError(
                    _("%(label)s: no such record in the unit (%(value)s).")
                    % {"label": spec["label"], "value": text},
                    field=name,
                )
            values[name] = {"id": found.pk, "name": str(found)}
    return values, uploads


def shown(definition: list[dict], values: dict) -> list[tuple[str, str]]:
    """(label, value) for a request's page."""
    rows = []
    for spec in definition:
        value = values.get(spec["name"])
        if value in (None, ""):
            continue
        rows.append((spec["label"], value["name"] if isinstance(value, dict) else str(value)))
    return rows
