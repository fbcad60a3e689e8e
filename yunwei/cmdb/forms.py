"""Page forms of the inventory (Art. 2). Choices hold only what the user may reach (`core.scoping`);
the item form carries the type's own attributes as fields of their kind. Services decide and write."""

import re

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yunwei.core import scoping
from yunwei.core.forms import BootstrapFormMixin
from yunwei.org.forms import DomainsField, LimitedFieldsMixin, RecordForm
from yunwei.org.models import MaintenanceContract, Person, Team, Vendor

from .choices import AttributeKind
from .models import Item, ItemType, RelationType

ATTRIBUTE_PREFIX = "attr_"
BOOL_CHOICES = [("", "—"), ("true", _("Yes")), ("false", _("No"))]


def attribute_field(spec: dict) -> forms.Field:
    """A form field for one of a type's own attributes; the service checks the value again."""
    kind, required = spec.get("kind", AttributeKind.TEXT), bool(spec.get("required"))
    options = {"label": gettext(spec["label"]), "required": required}
    if kind == AttributeKind.INT:
        return forms.IntegerField(**options)
    if kind == AttributeKind.DECIMAL:
        return forms.DecimalField(**options)
    if kind == AttributeKind.BOOL:
        return forms.TypedChoiceField(
            choices=BOOL_CHOICES, coerce=lambda v: v == "true", empty_value=None, **options
        )
    if kind == AttributeKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **options)
    if kind == AttributeKind.IP:
        return forms.GenericIPAddressField(**options)
    if kind == AttributeKind.URL:
        return forms.URLField(assume_scheme="https", **options)
    if kind == AttributeKind.CHOICE:
        return forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in spec.get("choices", [])], **options)
    return forms.CharField(max_length=500, **options)


class ItemForm(RecordForm):
    """An item of one type: the common fields, then the type's own attributes (`attr_<code>`)."""

    class Meta:
        model = Item
        fields = [
            "unit",
            "code",
            "name",
            "status",
            "criticality",
            "owner_team",
            "responsible",
            "site",
            "room",
            "rack",
            "position",
            "vendor",
            "contract",
            "ip",
            "hostname",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, data=None, *, user, item_type: ItemType, **kwargs):
        self.item_type = item_type
        super().__init__(data, user=user, **kwargs)

    def limit_fields(self) -> None:
        super().limit_fields()
        for name, model in (
            ("owner_team", Team),
            ("responsible", Person),
            ("vendor", Vendor),
            ("contract", MaintenanceContract),
        ):
            self.fields[name].queryset = scoping.visible(model.objects.all(), self.user).select_related(
                "unit"
            )
        self.fields["owner_team"].help_text = _("Empty: the team that owns this domain.")
        stored = self.instance.attributes if self.instance.pk else {}
        for spec in self.item_type.attributes:
            name = ATTRIBUTE_PREFIX + spec["code"]
            self.fields[name] = field = attribute_field(spec)
            field.widget.attrs["class"] = (
                "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )
            value = stored.get(spec["code"])
            if value is not None:
                self.initial[name] = (
                    ("true" if value else "false") if spec["kind"] == AttributeKind.BOOL else value
                )

    def field_for(self, service_field: str | None) -> str | None:
        """The form field a service's `field` names (`attributes.ports` → `attr_ports`)."""
        if service_field and service_field.startswith("attributes."):
            return ATTRIBUTE_PREFIX + service_field.split(".", 1)[1]
        return service_field

    def service_fields(self) -> dict:
        fields = super().service_fields()
        attributes = {}
        for name in list(fields):
            if name.startswith(ATTRIBUTE_PREFIX):
                value = fields.pop(name)
                if value not in (None, ""):
                    attributes[name.removeprefix(ATTRIBUTE_PREFIX)] = value
        fields["attributes"] = attributes
        if not self.instance.pk:
            fields["type"] = self.item_type
        return fields


class RelationForm(BootstrapFormMixin, LimitedFieldsMixin, forms.Form):
    """Relate the item of the page to another, named by its code, in either direction."""

    OUTGOING, INCOMING = "out", "in"

    type = forms.ModelChoiceField(label=_("Relation"), queryset=RelationType.objects.all())
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[(OUTGOING, _("This item → the other")), (INCOMING, _("The other → this item"))],
    )
    other = forms.CharField(label=_("Other item's code"), max_length=64)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, data=None, *, user, item: Item):
        self.user, self.item = user, item
        super().__init__(data, prefix="relation")

    def limit_fields(self) -> None:
        self.fields["type"].label_from_instance = lambda t: f"{t.label} / {t.inverse_label}"

    def clean_other(self):
        code = self.cleaned_data["other"].strip()
        found = list(scoping.visible(Item.objects.filter(code=code), self.user).exclude(pk=self.item.pk))
        same_unit = [i for i in found if i.unit_id == self.item.unit_id]
        found = same_unit or found
        if not found:
            raise forms.ValidationError(gettext("No item with code “%(code)s”.") % {"code": code})
        if len(found) > 1:
            raise forms.ValidationError(gettext("Several units have an item “%(code)s”.") % {"code": code})
        return found[0]

    def field_for(self, service_field: str | None) -> str | None:
        """The form field a service's `field` names: either end of the relation is the other item."""
        return "other" if service_field in ("source", "target") else service_field

    def service_fields(self) -> dict:
        data = self.cleaned_data
        source, target = (
            (self.item, data["other"]) if data["direction"] == self.OUTGOING else (data["other"], self.item)
        )
        return {"source": source, "target": target, "type": data["type"], "note": data["note"]}


class ImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("Excel (.xlsx) or CSV file"), help_text=_("At most 5 MB."))


# -- the catalogue: item types, their attributes, relation types (group system admins) ---------------

CHOICE_SEPARATORS = re.compile(r"[,，、\n]")


class ItemTypeForm(RecordForm):
    """An item type; its attributes come from `AttributeFormSet`. The code names the type in files
    and the API, so it is set once, when the type is created."""

    class Meta:
        model = ItemType
        fields = ["code", "name", "domain", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def limit_fields(self) -> None:
        super().limit_fields()
        if self.instance.pk:
            del self.fields["code"]


class AttributeForm(BootstrapFormMixin, forms.Form):
    """One of a type's own attributes; the service checks the whole list (services.validate_schema)."""

    code = forms.SlugField(label=_("Code"), max_length=40)
    label = forms.CharField(label=_("Label"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=AttributeKind.choices, initial=AttributeKind.TEXT)
    required = forms.BooleanField(label=_("Required"), required=False)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        max_length=1000,
        help_text=_("For a choice: the values, separated by commas."),
    )

    def spec(self) -> dict:
        data = self.cleaned_data
        spec = {
            "code": data["code"],
            "label": data["label"],
            "kind": data["kind"],
            "required": data["required"],
        }
        if data["kind"] == AttributeKind.CHOICE:
            spec["choices"] = [c.strip() for c in CHOICE_SEPARATORS.split(data["choices"]) if c.strip()]
        return spec


class BaseAttributeFormSet(forms.BaseFormSet):
    def specs(self) -> list[dict]:
        """The attribute list in the order shown, without the rows marked for removal or left blank."""
        kept = []
        for index, form in enumerate(self.forms):
            existing = index < self.initial_form_count()  # shown filled in: kept even when unchanged
            if (existing or form.has_changed()) and form.cleaned_data and not form.cleaned_data.get("DELETE"):
                kept.append(form.spec())
        return kept


AttributeFormSet = forms.formset_factory(
    AttributeForm, formset=BaseAttributeFormSet, extra=3, can_delete=True, max_num=100, validate_max=True
)


def attribute_initial(item_type: ItemType | None) -> list[dict]:
    return [
        {**spec, "choices": ", ".join(spec.get("choices") or [])}
        for spec in (item_type.attributes if item_type else [])
    ]


class RelationTypeForm(RecordForm):
    """A relation type and its rules; empty lists allow anything."""

    source_domains = DomainsField(label=_("Allowed source domains"))
    target_domains = DomainsField(label=_("Allowed target domains"))
    source_types = forms.MultipleChoiceField(
        label=_("Allowed source types"), required=False, widget=forms.CheckboxSelectMultiple
    )
    target_types = forms.MultipleChoiceField(
        label=_("Allowed target types"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = RelationType
        fields = [
            "code",
            "name",
            "inverse_name",
            "is_dependency",
            "source_domains",
            "target_domains",
            "source_types",
            "target_types",
        ]

    def limit_fields(self) -> None:
        super().limit_fields()
        if self.instance.pk:
            del self.fields["code"]
        types = [(t.code, t.label) for t in ItemType.objects.order_by("domain", "code")]
        self.fields["source_types"].choices = types
        self.fields["target_types"].choices = types
