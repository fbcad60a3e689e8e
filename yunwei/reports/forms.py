"""Forms of the monthly report's pages; the rules are the service's (reports.services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yunwei.core.forms import BootstrapFormMixin

GROUP = "group"


class OpenForm(BootstrapFormMixin, forms.Form):
    unit = forms.ChoiceField(label=_("Unit"))
    month = forms.CharField(label=_("Month"), widget=forms.TextInput(attrs={"type": "month"}))

    def __init__(self, *args, units, group: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(GROUP, _("The whole group"))] if group else []
        self.fields["unit"].choices = choices + [(str(unit.pk), unit.name) for unit in units]


class TextForm(BootstrapFormMixin, forms.Form):
    analysis = forms.CharField(label=_("Analysis"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    plan = forms.CharField(
        label=_("Plan for next month"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class SignForm(BootstrapFormMixin, forms.Form):
    password = forms.CharField(label=_("Your password"), required=False, widget=forms.PasswordInput)
    otp = forms.CharField(label=_("Or the one-time code"), required=False, max_length=10)
    version = forms.IntegerField(widget=forms.HiddenInput)


class TemplateForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("Word template (.docx)"))
