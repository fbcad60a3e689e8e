"""Background work of the audit log (Art. 11): events sealed, the head copied outside the database, the
chain verified."""

from celery import shared_task

from yunwei.core.tasks import YunweiTask

from . import anchors, services


@shared_task(base=YunweiTask)
def seal_audit_events() -> int:
    """Seal what the sealers run after each commit left (a lost race, a failed seal); returns how many."""
    return services.seal()


@shared_task(base=YunweiTask)
def write_audit_anchor() -> int | None:
    """Append the chain's head to the anchor file (and syslog); returns its number, None when unmoved."""
    anchor = anchors.write_anchor()
    return anchor.seq if anchor else None


@shared_task(base=YunweiTask)
def verify_audit_chain() -> bool | None:
    """The scheduled verification when one is due (nightly incremental, weekly full); returns its result."""
    kind = anchors.due_kind()
    if kind is None:
        return None
    # The newest head goes out first, so tonight's incremental walk starts from it.
    anchors.write_anchor()
    return anchors.verify(kind).ok
