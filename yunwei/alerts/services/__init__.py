"""The one write path of alert intake (Art. 3, 13), split by aggregate: `intake` (the machine path:
token, signature, parse, dedup, map), `integrations` (people's acts: integrations, rules, mapping by
hand, audited), `sweeps` (stale alerts, silent integrations, retention) and `history` (the hook every
state change of an alert goes through). Callers use `from yunwei.alerts import services`."""

from ..models import Integration, MappingRule
from .history import alert_changed, correlate_pending, link_incidents
from .intake import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Forbidden,
    Mapper,
    Unauthenticated,
    instance_host,
    receive,
    sign,
    token_hash,
)
from .integrations import (
    create_integration,
    create_rule,
    delete_integration,
    delete_rule,
    map_alert,
    may_manage,
    may_map,
    require_manage,
    rotate_token,
    sample_labels,
    siblings,
    update_integration,
    update_rule,
)
from .sweeps import prune, quiet, silence, sweep_silent, sweep_stale, tell, wake


def create(model=Integration, *, actor, **fields):
    """The generic create of the API's record viewsets: an integration answers with its token apart."""
    if model is MappingRule:
        return create_rule(actor=actor, **fields)
    return create_integration(actor=actor, **fields)[0]


def update(record, *, actor, expected_version: int | None = None, **fields):
    writer = update_rule if isinstance(record, MappingRule) else update_integration
    return writer(record, actor=actor, expected_version=expected_version, **fields)


def delete(record, *, actor) -> None:
    (delete_rule if isinstance(record, MappingRule) else delete_integration)(record, actor=actor)


__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Forbidden",
    "Mapper",
    "Unauthenticated",
    "alert_changed",
    "correlate_pending",
    "create",
    "create_integration",
    "create_rule",
    "delete",
    "delete_integration",
    "delete_rule",
    "instance_host",
    "link_incidents",
    "map_alert",
    "may_manage",
    "may_map",
    "prune",
    "quiet",
    "receive",
    "require_manage",
    "rotate_token",
    "sample_labels",
    "siblings",
    "sign",
    "silence",
    "sweep_silent",
    "sweep_stale",
    "tell",
    "token_hash",
    "update",
    "update_integration",
    "update_rule",
    "wake",
]
