"""A sortable column's header: a link that sorts the list by it, keeping the filters, and shows the order."""

from django import template
from django.utils.html import format_html

from yunwei.core.listing import SORT_PARAM

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label) -> str:
    request = context["request"]
    current = context.get("sort", "")
    query = request.GET.copy()
    query.pop("page", None)
    ascending = current == key
    query[SORT_PARAM] = f"-{key}" if ascending else key
    # The sorted column shows its direction; the others a faint mark that they sort.
    faint = "bi bi-arrow-down-up text-body-tertiary small"
    icon = format_html(' <i class="{}" aria-hidden="true"></i>', faint)
    if current.lstrip("-") == key:
        icon = format_html(' <i class="bi bi-sort-{}" aria-hidden="true"></i>', "up" if ascending else "down")
    return format_html(
        '<a class="link-body-emphasis text-decoration-none text-nowrap" href="?{}"'
        ' data-testid="sort-{}">{}{}</a>',
        query.urlencode(),
        key,
        label,
        icon,
    )
