from django import forms
from django.utils.translation import gettext_lazy as _

from yunwei.core.forms import BootstrapFormMixin

from .models import Article


class ArticleForm(BootstrapFormMixin, forms.Form):
    unit = forms.ModelChoiceField(
        label=_("For"), queryset=None, help_text=_("The group's unit: every unit reads it.")
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}))
    publish = forms.BooleanField(label=_("Publish now"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, units=None, article: Article | None = None, **kwargs):
        if article is not None:
            kwargs.setdefault(
                "initial",
                {
                    "unit": article.unit,
                    "title": article.title,
                    "body": article.body,
                    "version": article.version,
                },
            )
        super().__init__(*args, **kwargs)
        if article is None:
            self.fields["unit"].queryset = units
            del self.fields["version"]
        else:
            # An article stays in its unit; edits are its title and text.
            del self.fields["unit"], self.fields["publish"]


class VoteForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda value: value == "yes"
    )
