from django import forms
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from yunwei.core.forms import BootstrapFormMixin
from yunwei.org.choices import Role
from yunwei.org.models import Unit


class LoginForm(BootstrapFormMixin, forms.Form):
    username = forms.CharField(
        label=_("User name"), max_length=150, widget=forms.TextInput(attrs={"autofocus": True})
    )
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


class OtpForm(BootstrapFormMixin, forms.Form):
    code = forms.CharField(
        label=_("One-time code"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PasswordChangeForm(BootstrapFormMixin, DjangoPasswordChangeForm):
    pass


def _datetime_widget():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class DeputyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        person = getattr(user, "person", None)
        return f"{person.name} ({user.username} · {person.unit.name})" if person else user.username


class DelegationForm(BootstrapFormMixin, forms.Form):
    deputy = DeputyChoiceField(label=_("Deputy"), queryset=None)
    starts_at = forms.DateTimeField(label=_("From"), widget=_datetime_widget())
    ends_at = forms.DateTimeField(label=_("Until"), widget=_datetime_widget())
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, deputies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deputy"].queryset = deputies


class DirectoryRuleForm(BootstrapFormMixin, forms.Form):
    group_dn = forms.CharField(
        label=_("Directory group (DN)"),
        max_length=500,
        help_text=_("Members of groups nested in it match too."),
    )
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None)
    role = forms.ChoiceField(label=_("Role"))
    order = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        initial=100,
        help_text=_("The first matching rule gives the person's unit."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, rule=None, **kwargs):
        if rule is not None:
            kwargs.setdefault(
                "initial",
                {
                    "group_dn": rule.group_dn,
                    "unit": rule.unit,
                    "role": rule.role,
                    "order": rule.order,
                    "version": rule.version,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.order_by("name")
        self.fields["role"].choices = Role.choices


class FreshFactorMixin(forms.Form):
    """The account holder proves it is them again: a fresh TOTP code when a device is set up, else the
    password (services.check_fresh_factor decides which, and names the field it refuses)."""

    password = forms.CharField(
        label=_("Your password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp = forms.CharField(
        label=_("A fresh one-time code"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, has_device: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["password" if has_device else "otp"]


class ContactForm(BootstrapFormMixin, FreshFactorMixin):
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    version = forms.IntegerField(widget=forms.HiddenInput)

    field_order = ["email", "phone", "password", "otp"]


class OtpSetupForm(FreshFactorMixin, OtpForm):
    """The new device's code, after the current factor (the password, or the current device's code)."""

    field_order = ["password", "otp", "code"]
