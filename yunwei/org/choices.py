"""Choice sets of the organisation: stable English codes, translated labels, badge colours in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    GROUP = "group", _("Group")
    UNIT = "unit", _("Unit")


class Role(models.TextChoices):
    """The roles of Art. 4 and Art. 8–10, assigned per unit."""

    LEADER = "leader", _("Leader in charge")
    SYSTEM_LEAD = "system_lead", _("System management lead")
    TECH_STAFF = "tech_staff", _("System technical staff")
    GROUP_ADMIN = "group_admin", _("Group system admin")
    UNIT_ADMIN = "unit_admin", _("Unit system admin")
    CLERK = "clerk", _("Clerk")
    USER = "user", _("User")


# Art. 10: every unit names a leader, at least one system admin and one clerk.
REQUIRED_UNIT_ROLES = (Role.LEADER, Role.UNIT_ADMIN, Role.CLERK)
# Art. 10 and 18: the roles that approve or verify in the flows — the leader in charge (risky changes,
# windows in a freeze or a collision), the system management lead (changes, their review, a lowered
# grade), the group system admin (problems, plans, the organisation). Only a group admin hands them out.
APPROVING_ROLES = frozenset({Role.LEADER, Role.SYSTEM_LEAD, Role.GROUP_ADMIN})


class Domain(models.TextChoices):
    """The four maintenance domains of Art. 2 plus the machine-room environment of Art. 4."""

    HARDWARE = "hardware", _("Hardware platform")
    NETWORK = "network", _("Network")
    BASE_SOFTWARE = "base_software", _("Base software")
    APPLICATION = "application", _("Application software")
    MACHINE_ROOM = "machine_room", _("Machine-room environment")


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRING = "expiring", _("Expiring")
    EXPIRED = "expired", _("Expired")
    PENDING = "pending", _("Not yet in force")

    @property
    def badge(self) -> str:
        return {"active": "success", "expiring": "warning", "expired": "secondary", "pending": "info"}[
            self.value
        ]
