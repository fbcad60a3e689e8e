"""Page forms of the organisation (Art. 4, 8–11).

A form holds only the fields the requesting user may set, and its choices hold only the records that
user may reach (`core.scoping`), so a foreign unit's record cannot even be chosen. Forms validate
input; the services decide and write (views call `service_fields()` and pass the result on).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from yunwei.core import scoping
from yunwei.core.forms import BootstrapFormMixin

from . import services
from .choices import Domain, Role
from .models import MaintenanceContract, Person, Team, Unit, Vendor, VendorEngineer


class DomainsField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Domains"))
        super().__init__(choices=Domain.choices, required=False, **kwargs)


class LimitedFieldsMixin:
    """Calls `limit_fields()` as soon as the fields exist: choices are narrowed to what the user may
    reach in one place, before any validation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_fields()

    def limit_fields(self) -> None:
        pass


class RecordForm(BootstrapFormMixin, LimitedFieldsMixin, forms.ModelForm):
    """Base of the record forms: knows its user, carries the edited version, applies the unit rule.

    `unit` stays on the form only when the user manages more than one unit; otherwise the record
    goes to (or stays in) the one unit they manage. `masked_fields` are shown masked (Art. 11): left
    as shown, they keep their stored value.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    masked_fields: dict = {}

    def __init__(self, data=None, *, user, vendor=None, **kwargs):
        self.user = user
        self.fixed = {"vendor": vendor} if vendor is not None else {}
        self.fixed_unit = None
        super().__init__(data, **kwargs)

    def limit_fields(self) -> None:
        if self.instance.pk:
            self.initial["version"] = self.instance.version
            for name, mask in self.masked_fields.items():
                self.initial[name] = mask(getattr(self.instance, name) or "")
                self.fields[name].help_text = _("Shown masked; leave it as it is to keep the stored value.")
        else:
            del self.fields["version"]
        if "unit" in self.fields:
            units = scoping.writable(Unit.objects.all(), self.user)
            if units[:2].count() > 1:
                self.fields["unit"].queryset = units
            else:
                del self.fields["unit"]
                self.fixed_unit = units.first()

    def _post_clean(self):
        # The form checks its own fields only and leaves the instance alone: the service validates the
        # record (formats, uniqueness in the unit, constraints) in its transaction and names the field
        # at fault, where the model's constraint checks would name none.
        pass

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")

    def service_fields(self) -> dict:
        """The validated input as keyword arguments for services.create/update."""
        fields = {name: value for name, value in self.cleaned_data.items() if name != "version"}
        for name in self.masked_fields:
            if self.instance.pk and fields.get(name) == self.initial.get(name):
                fields.pop(name)
        if self.fixed_unit is not None and not self.instance.pk and "unit" in self._meta.fields:
            fields["unit"] = self.fixed_unit
        return {**fields, **self.fixed}


class UnitForm(RecordForm):
    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "parent", "address", "is_active"]

    def limit_fields(self) -> None:
        super().limit_fields()
        if not scoping.access_of(self.user).is_group_admin:
            # Code, kind, place in the group and whether the unit is active are the group admin's to
            # set (services.update).
            for name in ("code", "kind", "parent", "is_active"):
                del self.fields[name]
        else:
            self.fields["parent"].queryset = scoping.visible(
                Unit.objects.exclude(pk=self.instance.pk), self.user
            )


class TeamForm(RecordForm):
    domains = DomainsField()

    class Meta:
        model = Team
        fields = ["unit", "code", "name", "domains", "duties"]
        widgets = {"duties": forms.Textarea(attrs={"rows": 4})}


class PersonForm(RecordForm):
    masked_fields = {"phone": services.mask_phone, "email": services.mask_email}

    class Meta:
        model = Person
        fields = ["unit", "name", "employee_no", "department", "title", "team", "phone", "email", "is_active"]

    def limit_fields(self) -> None:
        super().limit_fields()
        team = self.fields["team"]
        # The person's current team stays a choice even when it is the group's (shown on their page anyway).
        current = Team.objects.filter(pk=self.instance.team_id)
        team.queryset = (scoping.visible(Team.objects.all(), self.user) | current).select_related("unit")
        team.label_from_instance = lambda t: f"{t.unit} · {t.name}"
        own = services.role_refusal(self.user, self.instance) if self.instance.pk else None
        if own is not None:
            # Switching oneself off would take back one's own roles (services.update refuses it).
            self.fields["is_active"].disabled = True
            self.fields["is_active"].help_text = own
        if self.instance.pk and self.instance.account_id == getattr(self.user, "pk", None):
            # One's own contact details change on one's account page, after re-authentication.
            for name in services.CONTACT_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = services.OWN_CONTACT_ELSEWHERE


class VendorForm(RecordForm):
    class Meta:
        model = Vendor
        fields = ["unit", "code", "name", "hotline", "address", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class EngineerForm(RecordForm):
    masked_fields = {"phone": services.mask_phone, "email": services.mask_email}

    class Meta:
        model = VendorEngineer
        fields = ["name", "speciality", "phone", "email"]


class ContractForm(RecordForm):
    domains = DomainsField(label=_("Domains covered"))

    class Meta:
        model = MaintenanceContract
        fields = [
            "unit",
            "number",
            "title",
            "domains",
            "coverage",
            "engineer",
            "response_hours",
            "starts_on",
            "ends_on",
        ]
        widgets = {
            "coverage": forms.Textarea(attrs={"rows": 3}),
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def limit_fields(self) -> None:
        super().limit_fields()
        vendor = self.fixed.get("vendor") or self.instance.vendor
        self.fields["engineer"].queryset = scoping.visible(
            VendorEngineer.objects.filter(vendor=vendor), self.user
        )
        if "unit" in self.fields and not self.instance.pk:
            self.initial.setdefault("unit", vendor.unit_id)


class AssignRoleForm(BootstrapFormMixin, LimitedFieldsMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"))
    unit = forms.ModelChoiceField(label=_("In unit"), queryset=Unit.objects.none())

    def __init__(self, data=None, *, user, person):
        self.user, self.person = user, person
        super().__init__(data, initial={"unit": person.unit_id}, prefix="role")

    def limit_fields(self) -> None:
        # Only the roles the service would let this actor grant this person (Art. 10, 18).
        self.fields["role"].choices = [("", "---------")] + [
            (code, label)
            for code, label in Role.choices
            if services.role_refusal(self.user, self.person, code) is None
        ]
        if not scoping.access_of(self.user).is_group_admin:
            self.fields["role"].help_text = _(
                "The leader in charge, the system management lead and the group system admin approve: "
                "only a group system admin assigns them (Art. 10, 18)."
            )
        self.fields["unit"].queryset = scoping.writable(Unit.objects.all(), self.user)


class AccountForm(BootstrapFormMixin, forms.Form):
    username = forms.RegexField(
        label=_("User name"),
        regex=r"^[\w.@+-]{3,150}$",
        max_length=150,
        help_text=_("3 to 150 letters, digits and . @ + - _"),
    )
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)

    def __init__(self, data=None):
        super().__init__(data, prefix="account")
