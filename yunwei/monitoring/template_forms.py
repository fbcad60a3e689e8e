"""The check template form: input only; services/templates.py checks the placeholders and the probe's
settings and names the field at fault."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import ItemType
from yunwei.core import scoping
from yunwei.org.models import Unit

from . import services
from .forms import RecordForm
from .models import CheckTemplate


def template_units(user):
    """The units whose check templates `user` may manage, as the service decides (the group's for a group
    system admin)."""
    units = scoping.visible(Unit.objects.all(), user)
    return units.filter(pk__in=[unit.pk for unit in units if services.may_manage_template(user, unit)])


class CheckTemplateForm(RecordForm):
    class Meta:
        model = CheckTemplate
        fields = [
            "unit",
            "item_type",
            "name",
            "kind",
            "spec",
            "interval",
            "retry_interval",
            "fail_after",
            "recover_after",
            "enabled",
            "description",
        ]
        widgets = {
            "spec": forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "unit": _("The group's template applies to the items of every unit; a unit's, to its own."),
            "spec": _(
                'JSON, e.g. {"host": "{host}", "port": 22}. Placeholders: {host} (the IP address, else the '
                "hostname), {ip}, {hostname}, {code}, {name}, {attr.<code>} (an attribute of the type)."
            ),
            "enabled": _("Off: the template is not applied and its checks are not run."),
        }

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["unit"].queryset = template_units(user)
        self.fields["item_type"].queryset = ItemType.objects.all()
