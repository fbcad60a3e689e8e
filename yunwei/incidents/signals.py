"""The interface monitoring calls (the checks of yunwei.monitoring, the alerts of yunwei.alerts):

    from yunwei.incidents import signals

    signals.fire(source="check" | "alert", key="check:12", item=<cmdb Item>, at=<datetime>, summary="…")
        -> Signal
    signals.resolve(source=…, key=…, at=…) -> Signal | None

Both run in the caller's transaction (or their own). `key` names the signal within its source (at most
200 characters); a fire of a key already firing only moves its last-seen time. Bad input raises
`DomainError` naming the field. The rules are in services/correlation.py and docs/correlation.md.
"""

from .services.correlation import fire, mark_stale, resolve

__all__ = ["fire", "mark_stale", "resolve"]
