"""Forms of the monitoring pages: input checks only; services.py decides and writes."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yunwei.cmdb.models import Item
from yunwei.core import scoping
from yunwei.core.errors import DomainError
from yunwei.core.forms import BootstrapFormMixin
from yunwei.org.models import Unit

from . import services
from .choices import CheckKind
from .models import Check, Heartbeat
from .probes import jsonpath


def manageable_units(user):
    """The units whose heartbeats `user` may manage, as the service decides."""
    units = scoping.visible(Unit.objects.all(), user)
    return units.filter(
        pk__in=[pk for pk in units.values_list("pk", flat=True) if services.may_manage(user, pk)]
    )


class RecordForm(BootstrapFormMixin, forms.ModelForm):
    """A heartbeat's or a check's form: input only; the service checks the record and writes it, so the
    model's own validation is skipped, and an edit carries the version it read."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        if self.instance.pk:
            self.initial["version"] = self.instance.version
        else:
            del self.fields["version"]

    def _post_clean(self):
        # The service checks the record (schedule, zone, spec, unit of the item) with field-named messages.
        pass

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data

    @property
    def expected_version(self):
        return self.cleaned_data.get("version")


class HeartbeatForm(RecordForm):
    class Meta:
        model = Heartbeat
        fields = [
            "unit",
            "item",
            "name",
            "kind",
            "schedule_kind",
            "period",
            "grace",
            "cron_expression",
            "tz",
            "min_run_time",
            "min_size",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["unit"].queryset = manageable_units(user)
        self.fields["item"].queryset = scoping.visible(Item.objects.all(), user).order_by("code")


# The fields of each probe on the check form (docs/probes.md): (form field suffix, form field). The form
# field `<kind>_<key>` fills the spec's `key`; an empty one is left out, so the probe's default holds.
SECRET_KEYS = ("password", "community", "auth_key", "priv_key")
JSON_OPS = [("", "—")] + [(op, op) for op in jsonpath.OPERATORS]
DNS_TYPES = [(name, name) for name in ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "SRV", "PTR", "SOA", "CAA")]
SNMP_AUTH = [("", "—")] + [(name, name) for name in ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")]
SNMP_PRIV = [("", "—")] + [(name, name) for name in ("DES", "3DES", "AES", "AES192", "AES256")]


def _host(label=None):
    return forms.CharField(label=label or _("Host"), max_length=255, required=False)


def _port(label=None, placeholder=""):
    widget = forms.NumberInput(attrs={"placeholder": placeholder} if placeholder else {})
    return forms.IntegerField(label=label or _("Port"), required=False, widget=widget)


def _secret(label):
    return forms.CharField(
        label=label,
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Write-only: left empty, the stored value is kept."),
    )


def _database_fields(default_port: int) -> dict:
    return {
        "host": _host(),
        "port": _port(placeholder=str(default_port)),
        "user": forms.CharField(label=pgettext_lazy("log-in", "User"), max_length=200, required=False),
        "password": _secret(_("Password")),
        "database": forms.CharField(label=_("Database"), max_length=200, required=False),
    }


def kind_fields() -> dict[str, dict[str, forms.Field]]:
    """The form fields of each kind of check, by spec key (fresh instances for each form)."""
    return {
        CheckKind.HTTP: {
            "url": forms.CharField(
                label=_("URL"),
                max_length=2000,
                required=False,
                widget=forms.URLInput(attrs={"placeholder": "https://"}),
            ),
            "expected_status": forms.CharField(
                label=_("Expected status"),
                max_length=100,
                required=False,
                help_text=_("A code or several separated by commas; empty: any 2xx or 3xx is up."),
            ),
            "keyword": forms.CharField(label=_("Keyword in the body"), max_length=500, required=False),
            "json_path": forms.CharField(
                label=_("JSON path"),
                max_length=500,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": "$.status"}),
            ),
            "json_op": forms.ChoiceField(label=_("JSON condition"), choices=JSON_OPS, required=False),
            "json_value": forms.CharField(label=_("JSON value"), max_length=500, required=False),
            "max_latency_ms": forms.FloatField(label=_("Maximum latency (ms)"), required=False),
            "cert_min_days": forms.IntegerField(label=_("Minimum certificate days left"), required=False),
            "verify_tls": forms.BooleanField(
                label=_("Verify the TLS certificate"), required=False, initial=True
            ),
        },
        CheckKind.TCP: {"host": _host(), "port": _port()},
        CheckKind.ICMP: {
            "host": _host(),
            "fallback_port": _port(
                _("Fallback TCP port"),
            ),
        },
        CheckKind.DNS: {
            "name": forms.CharField(label=_("Name"), max_length=255, required=False),
            "record_type": forms.ChoiceField(
                label=_("Record type"), choices=DNS_TYPES, required=False, initial="A"
            ),
            "expected": forms.CharField(
                label=_("Expected answer"),
                max_length=1000,
                required=False,
                help_text=_("One value or several separated by commas; each must be in the answer."),
            ),
            "server": forms.CharField(
                label=_("Server"),
                max_length=255,
                required=False,
                help_text=_("The resolver asked; empty: the first resolver of the probe's host."),
            ),
            "port": _port(placeholder="53"),
        },
        CheckKind.POSTGRESQL: _database_fields(5432),
        CheckKind.MYSQL: _database_fields(3306),
        CheckKind.SNMP: {
            "host": _host(),
            "port": _port(placeholder="161"),
            "version": forms.ChoiceField(
                label=_("SNMP version"), choices=[("2c", "v2c"), ("3", "v3")], required=False, initial="2c"
            ),
            "community": _secret(_("Community (v2c)")),
            "user": forms.CharField(label=_("User (v3)"), max_length=200, required=False),
            "auth_protocol": forms.ChoiceField(
                label=_("Authentication protocol (v3)"), choices=SNMP_AUTH, required=False
            ),
            "auth_key": _secret(_("Authentication key (v3)")),
            "priv_protocol": forms.ChoiceField(
                label=_("Privacy protocol (v3)"), choices=SNMP_PRIV, required=False
            ),
            "priv_key": _secret(_("Privacy key (v3)")),
            "oid": forms.CharField(
                label=_("OID"),
                max_length=255,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": "1.3.6.1.2.1.1.3.0"}),
            ),
            "op": forms.ChoiceField(label=_("Condition"), choices=JSON_OPS, required=False),
            "value": forms.CharField(label=_("Value"), max_length=500, required=False),
        },
    }


def _as_text(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(part) for part in value)
    return "" if value is None else str(value)


def _as_list(text: str):
    """ "200, 301" → [200, 301] ; one value stays a single value."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    return parts[0] if len(parts) == 1 else parts


class CheckForm(RecordForm):
    """An active check: its item (and so its unit), probe and damping. The probe's settings are the
    fields of its kind (all shown without JavaScript, only the chosen kind's shown with it; only the
    chosen kind's read); `spec` carries any further spec keys as JSON (docs/probes.md). The form builds
    the spec, the service reads it as the probe does, and a refusal is shown on the form field of the
    spec's key."""

    HEAD = ("item", "name", "kind")

    class Meta:
        model = Check
        fields = [
            "item",
            "name",
            "kind",
            "spec",
            "interval",
            "retry_interval",
            "fail_after",
            "recover_after",
            "window_failures",
            "window",
            "flap_threshold",
            "flap_window",
            "is_reference",
            "reference",
        ]
        widgets = {"spec": forms.Textarea(attrs={"rows": 2, "class": "font-monospace"})}

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        units = manageable_units(user)
        self.fields["item"].queryset = scoping.visible(Item.objects.filter(unit__in=units), user).order_by(
            "code"
        )
        references = scoping.visible(Check.objects.filter(is_reference=True), user)
        self.fields["reference"].queryset = references.exclude(pk=self.instance.pk).order_by("name")
        self.fields["kind"].widget.attrs["data-check-kind"] = ""
        spec_field = self.fields["spec"]
        spec_field.required = False
        spec_field.label = _("Other probe settings (JSON)")
        spec_field.help_text = _(
            'Optional: further fields of the probe (docs/probes.md), e.g. {"timeout": 5}.'
        )
        stored = dict(self.instance.spec or {}) if self.instance.pk else {}
        self.kind_keys: dict[str, list[str]] = {}
        for kind, fields in kind_fields().items():
            self.kind_keys[kind] = list(fields)
            for key, field in fields.items():
                name = f"{kind}_{key}"
                self.fields[name] = field
                if self.instance.pk and self.instance.kind == kind and key in stored:
                    if key in SECRET_KEYS:
                        field.widget.attrs["placeholder"] = "••••••"
                    else:
                        self.initial[name] = (
                            stored[key] if isinstance(field, forms.BooleanField) else _as_text(stored[key])
                        )
        if self.instance.pk:  # the spec box shows only what the kind's fields do not
            covered = set(self.kind_keys.get(self.instance.kind, ()))
            self.initial["spec"] = {key: value for key, value in stored.items() if key not in covered}
        self._style_kind_fields()

    def _style_kind_fields(self):
        for kind, keys in self.kind_keys.items():
            for key in keys:
                widget = self.fields[f"{kind}_{key}"].widget
                if "class" not in widget.attrs:
                    if isinstance(widget, forms.CheckboxInput):
                        widget.attrs["class"] = "form-check-input"
                    elif isinstance(widget, forms.Select):
                        widget.attrs["class"] = "form-select"
                    else:
                        widget.attrs["class"] = "form-control"

    # -- layout for the template ------------------------------------------------------------------

    def head_fields(self):
        return [self[name] for name in self.HEAD]

    def kind_fieldsets(self):
        """(kind, its label, its bound fields) for each kind, in the order of the choices."""
        return [
            (kind, label, [self[f"{kind}_{key}"] for key in self.kind_keys[kind]])
            for kind, label in CheckKind.choices
        ]

    def tail_fields(self):
        """Every other visible field (the damping, the reference, and what later fields add), in order."""
        taken = set(self.HEAD) | {f"{kind}_{key}" for kind, keys in self.kind_keys.items() for key in keys}
        return [field for field in self.visible_fields() if field.name not in taken]

    # -- building the spec ------------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind not in self.kind_keys:
            return cleaned
        extra = cleaned.get("spec")
        if extra in (None, ""):
            extra = {}
        if not isinstance(extra, dict):
            self.add_error("spec", _("The probe settings must be a JSON object."))
            return cleaned
        spec = {key: value for key, value in extra.items() if key != "type"}
        stored = dict(self.instance.spec or {}) if self.instance.pk and self.instance.kind == kind else {}
        for key in self.kind_keys[kind]:
            name = f"{kind}_{key}"
            if name in self.errors:
                continue
            value = cleaned.get(name)
            field = self.fields[name]
            if isinstance(field, forms.BooleanField):
                if key == "verify_tls":
                    if value:
                        spec.pop(key, None)
                    else:
                        spec[key] = False
                continue
            if value in (None, ""):
                if key in SECRET_KEYS and key in stored:
                    spec[key] = stored[key]  # write-only: an empty box keeps what is stored
                else:
                    spec.pop(key, None)
                continue
            if key == "expected_status":
                value = _as_list(value)
                value = (
                    [int(v) if str(v).isdigit() else v for v in value]
                    if isinstance(value, list)
                    else (int(value) if value.isdigit() else value)
                )
            elif key == "expected":
                value = _as_list(value)
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            spec[key] = value
        for key in services.SPEC_REQUIRED[CheckKind(kind)]:
            if spec.get(key) in (None, "") and f"{kind}_{key}" not in self.errors:
                self.add_error(f"{kind}_{key}", _("This field is required."))
        if any(f"{kind}_{key}" in self.errors for key in self.kind_keys[kind]):
            return cleaned
        try:
            cleaned["spec"] = services.check_spec(kind, spec)
        except DomainError as exc:
            self.add_error(self._field_of_spec_error(kind, exc.message), exc.message)
        return cleaned

    def _field_of_spec_error(self, kind: str, message: str) -> str:
        """The form field of the spec key a refusal of the service names ('port' → tcp_port), else the
        spec box itself."""
        for key in re.findall(r"'(\w+)'", str(message)):
            if key in self.kind_keys[kind]:
                return f"{kind}_{key}"
        return "spec"

    def service_fields(self) -> dict:
        data = {name: value for name, value in self.cleaned_data.items() if name in self._meta.fields}
        return data
