"""Small inventories for the correlation tests, built through the inventory's services, and the change
windows that hold their signals back."""

from yunwei.changes.models import Change, MaintenanceWindow
from yunwei.cmdb import services as cmdb
from yunwei.cmdb.models import Relation, RelationType

from ..conftest import make_item

REQUIRED = {"server": {}, "switch": {"ports": 48}, "oa-application": {"url": "http://oa.example.cn/"}}


def item(unit, type_code, code, *, actor, **fields):
    fields.setdefault("attributes", dict(REQUIRED.get(type_code, {})))
    return make_item(unit, type_code, code, actor=actor, **fields)


def depends(source, target, *, actor, type_code="depends-on") -> Relation:
    """`source` depends on `target`: `source` is downstream of `target`."""
    return cmdb.create(
        Relation, actor=actor, source=source, target=target, type=RelationType.objects.get(code=type_code)
    )


def window(unit, items, start, end, title="升级", requester=None) -> Change:
    """A change whose maintenance window holds the items' signals back over [start, end): the rows the
    change's scheduling writes (changes.schedule.write_windows)."""
    change = Change.objects.create(
        unit=unit,
        title=title,
        change_type="software_upgrade",
        state="scheduled",
        requester=requester,
        planned_start=start,
        planned_end=end,
    )
    MaintenanceWindow.objects.bulk_create(
        [MaintenanceWindow(change=change, item=each, starts_at=start, ends_at=end) for each in items]
    )
    return change
