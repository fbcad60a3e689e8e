"""The audit log's filtered list as an .xlsx workbook, and the names its pages show for the numbers it
keeps (the actor's account, the unit): looked up through `settings.AUDIT_NAMES`, a chunk at a time."""

import itertools

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

CHUNK = 2000


def names(events) -> tuple[dict[int, str], dict[int, str]]:
    """{actor id: name}, {unit id: name} of these events."""
    return import_string(settings.AUDIT_NAMES)([e.actor_id for e in events], [e.unit_id for e in events])


def name_events(events) -> list:
    """The events with `actor_label` (the person's name and the account's name when they differ) and
    `unit_name` set for the page."""
    events = list(events)
    actors, units = names(events)
    for event in events:
        named = actors.get(event.actor_id, "")
        event.actor_label = (
            f"{named} ({event.actor_name})" if named and named != event.actor_name else event.actor_name
        )
        event.unit_name = units.get(event.unit_id, "")
    return events


def headers() -> list[str]:
    return [
        _("Number"),
        _("Time"),
        _("Actor"),
        _("Action"),
        _("Object"),
        _("Object type"),
        _("Unit"),
        _("Comment"),
    ]


WIDTHS = (10, 20, 20, 14, 36, 24, 16, 60)


def rows(events):
    iterator = events.iterator(chunk_size=CHUNK)
    while chunk := list(itertools.islice(iterator, CHUNK)):
        for event in name_events(chunk):
            yield [
                event.seq,
                timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                event.actor_label,
                event.get_action_display(),
                event.object_repr,
                f"{event.object_type}:{event.object_id}" if event.object_type else "",
                event.unit_name or (str(event.unit_id) if event.unit_id else ""),
                event.comment,
            ]
