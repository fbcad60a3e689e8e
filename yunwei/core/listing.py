"""What every list page shares beyond its filters: sorting by a column the database has an index for,
the records a bulk form selected, and the outcome of a bulk action taken one record at a time."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from . import errors
from .filters import MAX_ID

SORT_PARAM = "sort"
MAX_SELECTED = 500


@dataclass(frozen=True)
class Sorting:
    """The sortable columns of a list: key (as in ?sort=key or ?sort=-key) → the fields ordered by.
    Every key leads with an indexed column (or the primary key), so a sorted page of a large table
    reads an index range instead of sorting the table; the last field breaks ties, for stable pages."""

    columns: dict[str, tuple[str, ...]]
    default: str = ""
    # The list's own order when no column is asked and `default` names none (a list read in a natural
    # order of its own, such as the inventory's by unit and code).
    fallback: tuple[str, ...] = ()

    def key_of(self, request) -> str:
        """The sort asked for, or the default when it is absent or names no sortable column."""
        asked = request.GET.get(SORT_PARAM, "")
        return asked if asked.lstrip("-") in self.columns else self.default

    def order(self, rows, request):
        key = self.key_of(request)
        if not key:
            return rows.order_by(*self.fallback), key
        fields = self.columns[key.lstrip("-")]
        if key.startswith("-"):
            fields = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in fields)
        return rows.order_by(*fields), key


def selected_ids(request) -> list[int]:
    """The records a bulk form ticked: numbers only, each once, at most MAX_SELECTED; anything else in
    the list is bad input (DomainError on the field "ids")."""
    values = request.POST.getlist("ids")
    ids = []
    for value in values:
        if not value.isdigit() or not 0 < int(value) <= MAX_ID:
            raise errors.DomainError(_("Selected records are given by their numbers."), field="ids")
        if int(value) not in ids:
            ids.append(int(value))
    if not ids:
        raise errors.DomainError(_("Select at least one record."), field="ids")
    if len(ids) > MAX_SELECTED:
        raise errors.DomainError(
            _("Select at most %(count)s records at a time.") % {"count": MAX_SELECTED}, field="ids"
        )
    return ids


@dataclass
class BulkOutcome:
    done: list = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (record, reason)


def run_each(visible_rows, ids: list[int], call, *, label=str) -> BulkOutcome:
    """Call `call(record)` for each selected record, each in its own transaction, so one refusal
    neither stops nor undoes the others. A number not among `visible_rows` (another unit's record, or
    none) is refused as not found, the same answer for both, so the outcome tells nothing of others."""
    outcome = BulkOutcome()
    found = {record.pk: record for record in visible_rows.filter(pk__in=ids)}
    for pk in ids:
        record = found.get(pk)
        if record is None:
            outcome.refused.append((f"#{pk}", _("not found")))
            continue
        try:
            with transaction.atomic():
                call(record)
        except errors.DomainError as exc:  # the service's own checks, a refusal of who acts among them
            outcome.refused.append((label(record), str(exc.message)))
        else:
            outcome.done.append(record)
    return outcome
