"""Choice sets of monitoring (Art. 3, 5, 9): stable English codes, translated labels, badge colours."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class JobKind(models.TextChoices):
    CRON = "cron", _("Cron job")
    BACKUP = "backup", _("Backup job")


class ScheduleKind(models.TextChoices):
    PERIOD = "period", _("Period and grace")
    CRON = "cron", _("Cron expression")


class HeartbeatState(models.TextChoices):
    """New until the first good ping; up while pings arrive on time; late past the due time (within the
    grace); down past the grace, or on a failure ping."""

    NEW = "new", pgettext_lazy("heartbeat state", "New")
    UP = "up", pgettext_lazy("heartbeat state", "Up")
    LATE = "late", pgettext_lazy("heartbeat state", "Late")
    DOWN = "down", pgettext_lazy("heartbeat state", "Down")

    @property
    def badge(self) -> str:
        return {"new": "secondary", "up": "success", "late": "warning", "down": "danger"}[self.value]


class PingKind(models.TextChoices):
    START = "start", pgettext_lazy("ping", "Start")
    SUCCESS = "success", pgettext_lazy("ping", "Success")
    FAIL = "fail", pgettext_lazy("ping", "Failure")
    EXIT_CODE = "exit_code", _("Exit code")
    LOG = "log", pgettext_lazy("ping", "Log")

    @property
    def badge(self) -> str:
        return {
            "start": "info",
            "success": "success",
            "fail": "danger",
            "exit_code": "secondary",
            "log": "light",
        }[self.value]


# The pings that end a run: each of a backup job's is a record of its backup log (Art. 5, 9).
FINISHING_KINDS = (PingKind.SUCCESS, PingKind.FAIL, PingKind.EXIT_CODE)


class Distrust(models.TextChoices):
    """Why a backup's success is not trusted (never counted as a good backup)."""

    TOO_FAST = "too_fast", _("Faster than its minimum run time")
    NO_RUN_TIME = "no_run_time", _("No start ping: run time unknown")
    TOO_SMALL = "too_small", _("Smaller than its minimum size")
    NO_SIZE = "no_size", _("No size reported")


class CheckKind(models.TextChoices):
    """The probe an active check runs (docs/probes.md names each one's spec fields)."""

    HTTP = "http", _("HTTP(S)")
    TCP = "tcp", _("TCP port")
    ICMP = "icmp", _("ICMP ping")
    DNS = "dns", _("DNS record")
    POSTGRESQL = "postgresql", _("PostgreSQL log-in")
    MYSQL = "mysql", _("MySQL/MariaDB log-in")
    SNMP = "snmp", _("SNMP OID")


class CheckState(models.TextChoices):
    """New until its first judged result; unknown when the probe could not judge (never counted as down)."""

    NEW = "new", pgettext_lazy("check state", "New")
    UP = "up", pgettext_lazy("check state", "Up")
    DOWN = "down", pgettext_lazy("check state", "Down")
    UNKNOWN = "unknown", pgettext_lazy("check state", "Unknown")

    @property
    def badge(self) -> str:
        return {"new": "secondary", "up": "success", "down": "danger", "unknown": "secondary"}[self.value]


class ResultStatus(models.TextChoices):
    UP = "up", pgettext_lazy("check result", "Up")
    DOWN = "down", pgettext_lazy("check result", "Down")
    UNKNOWN = "unknown", pgettext_lazy("check result", "Unknown")

    @property
    def badge(self) -> str:
        return {"up": "success", "down": "danger", "unknown": "secondary"}[self.value]


class RollupPeriod(models.TextChoices):
    HOUR = "hour", _("Hour")
    DAY = "day", _("Day")


class CheckEventKind(models.TextChoices):
    """What the damping of a check did (docs/probes.md, "Damping"); down, up and flapping tell the team."""

    DOWN = "down", pgettext_lazy("check event", "Down")
    UP = "up", pgettext_lazy("check event", "Up again")
    UNKNOWN = "unknown", pgettext_lazy("check event", "Unknown")
    KNOWN = "known", pgettext_lazy("check event", "Judged again")
    FLAPPING_STARTED = "flapping_started", _("Flapping started")
    FLAPPING_STOPPED = "flapping_stopped", _("Flapping stopped")

    @property
    def badge(self) -> str:
        return {
            "down": "danger",
            "up": "success",
            "unknown": "secondary",
            "known": "info",
            "flapping_started": "warning",
            "flapping_stopped": "info",
        }[self.value]


class IndicatorFigure(models.TextChoices):
    """The figures of an indicator (Art. 3 (1)); each has its target field on `Indicator` and a direction:
    a figure under its target misses it (availability, certificate days, backup success) or one over it
    does (latency, backup age)."""

    AVAILABILITY = "availability", _("Availability")
    LATENCY = "latency", _("Mean latency")
    CERT_DAYS = "cert_days", _("Certificate days left")
    BACKUP_AGE = "backup_age", _("Backup age")
    BACKUP_SUCCESS = "backup_success", _("Backup success rate")

    @property
    def unit_label(self) -> str:
        return {
            "availability": "%",
            "latency": "ms",
            "cert_days": _("days"),
            "backup_age": _("h"),
            "backup_success": "%",
        }[self.value]
