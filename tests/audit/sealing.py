"""The sealer as it runs after a commit, for tests whose transaction never commits.

A test's transaction is rolled back at its end, so the seal `record()` asks for on commit never runs
there; these helpers run it where the commit would have been, as the periodic task would.
"""

from yunwei.audit import services
from yunwei.audit.models import AuditEvent


def sealed(*events: AuditEvent) -> list[AuditEvent]:
    """Seal what waits and return `events` read back numbered and chained."""
    services.seal()
    by_pk = AuditEvent.objects.in_bulk([event.pk for event in events])
    return [by_pk[event.pk] for event in events]


def record_sealed(*args, **kwargs) -> AuditEvent:
    """`services.record` followed by the seal its commit would run."""
    return sealed(services.record(*args, **kwargs))[0]
