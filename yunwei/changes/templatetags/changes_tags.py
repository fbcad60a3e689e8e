"""Display helpers of the change pages."""

from django import template

from yunwei.org.choices import Role

register = template.Library()


@register.filter
def role_label(code: str) -> str:
    return str(Role(code).label) if code in Role.values else code
