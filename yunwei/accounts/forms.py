from django import forms
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from yunwei.core.forms import BootstrapFormMixin


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
