"""Forms of the notify pages: input checks only; services.py decides and writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yunwei.core.forms import BootstrapFormMixin
from yunwei.core.scoping import access_of

from .choices import ChannelKind, Language
from .services import visible_channels


class AllowedAddressForm(BootstrapFormMixin, forms.Form):
    value = forms.CharField(
        label=_("Host, address or network"),
        max_length=255,
        help_text=_("e.g. smtp.intra, 10.1.2.3 or 10.0.0.0/8"),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ChannelForm(BootstrapFormMixin, forms.Form):
    """One form for every kind: the URL for robots and webhooks, the SMTP fields for e-mail."""

    unit = forms.IntegerField(label=_("Unit ID"), min_value=1)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=ChannelKind.choices)
    url = forms.CharField(
        label=_("Robot or webhook URL"), required=False, max_length=1000, help_text=_("http or https only")
    )
    smtp_host = forms.CharField(label=_("SMTP host"), required=False, max_length=255)
    smtp_port = forms.IntegerField(label=_("SMTP port"), required=False, min_value=1, max_value=65535)
    smtp_use_tls = forms.BooleanField(label=_("Use STARTTLS"), required=False)
    smtp_username = forms.CharField(label=_("SMTP user name"), required=False, max_length=200)
    smtp_password = forms.CharField(
        label=_("SMTP password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored one."),
    )
    smtp_from = forms.EmailField(label=_("Sender address"), required=False)
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("DingTalk or Feishu signing secret, or the webhook's HMAC key. Leave empty to keep it."),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    announcements = forms.BooleanField(
        label=_("General office announcements"),
        required=False,
        help_text=_("Suspension and recovery notices go here; a group channel gets every unit's."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, user, instance=None):
        self.instance = instance
        initial = {"unit": access_of(user).unit_id, "enabled": True}
        if instance is not None:
            target = instance.target
            initial = {
                "unit": instance.unit_id,
                "name": instance.name,
                "kind": instance.kind,
                "enabled": instance.enabled,
                "announcements": instance.announcements,
                "version": instance.version,
            }
            if isinstance(target, dict):
                initial.update(
                    smtp_host=target.get("host", ""),
                    smtp_port=target.get("port"),
                    smtp_use_tls=bool(target.get("use_tls")),
                    smtp_username=target.get("username", ""),
                    smtp_from=target.get("from", ""),
                )
            else:
                initial["url"] = target
        super().__init__(data, initial=initial)

    @property
    def expected_version(self):
        return self.cleaned_data.get("version")

    def field_for(self, service_field: str | None) -> str | None:
        """The form field a service's `field` names: the target is the URL, or the SMTP host of an
        e-mail channel."""
        if service_field == "target":
            return "smtp_host" if self.cleaned_data.get("kind") == ChannelKind.EMAIL else "url"
        return {"unit_id": "unit"}.get(service_field, service_field)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == ChannelKind.EMAIL and not data.get("smtp_host"):
            self.add_error("smtp_host", _("An e-mail channel needs the SMTP server's host."))
        elif kind and kind != ChannelKind.EMAIL and not data.get("url"):
            self.add_error("url", _("This channel needs the robot's or webhook's URL."))
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        if data["kind"] == ChannelKind.EMAIL:
            target = {
                "host": data["smtp_host"],
                "port": data.get("smtp_port") or 25,
                "use_tls": data["smtp_use_tls"],
                "username": data["smtp_username"],
                "password": data["smtp_password"],
                "from": data["smtp_from"],
            }
        else:
            target = data["url"]
        return {
            "unit_id": data["unit"],
            "name": data["name"],
            "kind": data["kind"],
            "target": target,
            "secret": data["secret"],
            "enabled": data["enabled"],
            "announcements": data["announcements"],
        }


class PreferenceForm(BootstrapFormMixin, forms.Form):
    channels = forms.MultipleChoiceField(
        label=_("Send my notices by"), required=False, widget=forms.CheckboxSelectMultiple
    )
    quiet_start = forms.TimeField(
        label=_("Quiet hours start"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours end"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Urgent notices (grade Ⅱ) come through even in quiet hours."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)

    def __init__(self, data=None, *, user, preference):
        initial = {
            "channels": preference.channels or ["email"],
            "quiet_start": preference.quiet_start,
            "quiet_end": preference.quiet_end,
            "language": preference.language,
        }
        super().__init__(data, initial=initial)
        choices = [("email", _("E-mail to my address"))]
        choices += [(str(channel.pk), channel.name) for channel in visible_channels(user)]
        self.fields["channels"].choices = choices
