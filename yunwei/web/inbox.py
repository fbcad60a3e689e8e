"""The in-app inbox (Art. 13): every notice sent to the person, read or unread, each linked to its record.

The rows are the notify app's (`services.inbox`, one write path in `services.send`); this page adds the
link to the record, which only the web layer may name (notify imports no other app). A link leads to the
record's own page, which checks the scoping again: a notice never opens a record the reader may not see.
"""

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from yunwei.core.pages import page_view
from yunwei.notify import services as notify
from yunwei.notify.choices import Language

PAGE_SIZE = 25

# The event key's first part → the page of the record its second part names.
RECORD_PAGES = {
    "incident": "incidents:incident-detail",
    "change": "changes:change-detail",
    "problem": "problems:problem-detail",
    "heartbeat": "monitoring:heartbeat-detail",
    "check": "monitoring:check-detail",
    "indicator-breach": "monitoring:indicator-detail",
    "alert-integration": "alerts:integration-detail",
}


def record_link(event_key: str) -> str:
    """The page of the record a notice is about, read from its event key ("incident:42:restored"); ""
    when the notice is about no record (the background machinery's notices)."""
    kind, _sep, rest = event_key.partition(":")
    pk = rest.split(":", 1)[0]
    if kind not in RECORD_PAGES or not pk.isdigit():
        return ""
    try:
        return reverse(RECORD_PAGES[kind], args=[int(pk)])
    except NoReverseMatch:
        return ""


def _language() -> str:
    return Language.EN if (get_language() or "").startswith("en") else Language.ZH_HANS


@page_view
def inbox(request):
    """The person's notices, newest first, by keyset (`?before=<id>`): no count of the whole inbox."""
    rows = notify.inbox(request.user)
    before = request.GET.get("before", "")
    if before.isdigit():
        rows = rows.filter(pk__lt=int(before))
    if request.GET.get("unread") == "1":
        rows = rows.filter(read_at__isnull=True)
    page = list(rows[: PAGE_SIZE + 1])
    language = _language()
    items = []
    for item in page[:PAGE_SIZE]:
        subject, body = item.notice.text(language)
        items.append(
            {"item": item, "subject": subject, "body": body, "link": record_link(item.notice.event_key)}
        )
    return render(
        request,
        "web/inbox.html",
        {
            "items": items,
            "next_before": page[PAGE_SIZE - 1].pk if len(page) > PAGE_SIZE else None,
            "unread_only": request.GET.get("unread") == "1",
        },
    )


@page_view
@require_POST
def inbox_open(request, pk):
    """Mark the notice read and go to its record (or back to the inbox when it names none)."""
    item = get_object_or_404(notify.inbox(request.user), pk=pk)
    notify.mark_read(item, user=request.user)
    return redirect(record_link(item.notice.event_key) or reverse("web:inbox"))


@page_view
@require_POST
def inbox_read_all(request):
    notify.mark_all_read(request.user)
    return redirect("web:inbox")
