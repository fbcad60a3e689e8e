"""Monitoring's records (Art. 3: the running state watched; Art. 5 and 9: backups done and logged).

A heartbeat is a job of a unit (a backup or a cron job) that pings Yunwei when it runs; each ping is a
`HeartbeatRun` row, stored once, as machine data (never an audit event). The runs of a backup job that
end a run (success, failure, exit code) are the unit's backup log (数据备份日志): the log is those rows,
read by kind, not a second table written beside them — one insert per ping keeps the ping path lean
and the log can never disagree with the runs it lists.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item, ItemType
from yunwei.core.models import AppendOnlyModel, VersionedModel
from yunwei.org.models import Unit

from .choices import (
    CheckEventKind,
    CheckKind,
    CheckState,
    Distrust,
    HeartbeatState,
    IndicatorFigure,
    JobKind,
    PingKind,
    ResultStatus,
    RollupPeriod,
    ScheduleKind,
)


class Heartbeat(VersionedModel):
    """A backup or cron job of a unit that reports each run by pinging its URL (Art. 3, 5, 9).

    Its schedule is a period with a grace, or a cron expression read in its time zone. The next due time
    and the moment it goes down (`next_due_at`, `alert_after`) are stored when a good ping arrives, so
    the lateness sweep is an indexed `filter(alert_after__lt=now)` (STYLE: deadlines are stored).
    """

    scope_unit_field = "unit"

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="heartbeats"
    )
    item = models.ForeignKey(
        Item,
        verbose_name=_("inventory item"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="heartbeats",
    )
    uuid = models.UUIDField(_("ping UUID"), default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=JobKind.choices, default=JobKind.CRON)
    schedule_kind = models.CharField(
        _("schedule"), max_length=10, choices=ScheduleKind.choices, default=ScheduleKind.PERIOD
    )
    period = models.PositiveIntegerField(_("period (seconds)"), default=86400)
    grace = models.PositiveIntegerField(_("grace (seconds)"), default=3600)
    cron_expression = models.CharField(_("cron expression"), max_length=100, blank=True)
    tz = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # A backup job's floor: a faster or smaller run is not trusted (never a good backup).
    min_run_time = models.PositiveIntegerField(_("minimum run time (seconds)"), null=True, blank=True)
    min_size = models.PositiveBigIntegerField(_("minimum size (bytes)"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=HeartbeatState.choices, default=HeartbeatState.NEW, editable=False
    )
    last_ping_at = models.DateTimeField(_("last ping"), null=True, blank=True, editable=False)
    # The start ping waiting for its finish: the pair gives the run time.
    last_start_at = models.DateTimeField(_("last start"), null=True, blank=True, editable=False)
    next_due_at = models.DateTimeField(_("next due"), null=True, blank=True, db_index=True, editable=False)
    alert_after = models.DateTimeField(_("down after"), null=True, blank=True, db_index=True, editable=False)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")
        ordering = ["unit_id", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def state_badge(self) -> str:
        return HeartbeatState(self.state).badge


class HeartbeatRun(AppendOnlyModel):
    """One ping of a heartbeat, as received (Art. 3); a finishing ping of a backup job is also a record of
    the unit's backup log (Art. 5, 9).

    `received_at` is when the job said it happened, `recorded_at` when Yunwei stored it: they differ for
    runs loaded later (the demo's months of history, a log book filled in after the fact).
    """

    scope_unit_field = "heartbeat__unit"

    heartbeat = models.ForeignKey(
        Heartbeat, verbose_name=_("heartbeat"), on_delete=models.PROTECT, related_name="runs"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PingKind.choices)
    received_at = models.DateTimeField(_("happened at"), db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    run_time = models.DurationField(_("run time"), null=True, blank=True)
    succeeded = models.BooleanField(_("succeeded"), null=True, blank=True)
    exit_status = models.SmallIntegerField(_("exit status"), null=True, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    body = models.TextField(_("log"), blank=True)
    truncated = models.BooleanField(_("truncated"), default=False)
    remote_addr = models.GenericIPAddressField(_("remote address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=200, blank=True)
    trusted = models.BooleanField(_("trusted"), default=True)
    distrust = models.CharField(_("not trusted because"), max_length=20, choices=Distrust.choices, blank=True)

    class Meta:
        verbose_name = _("heartbeat run")
        verbose_name_plural = _("heartbeat runs")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["heartbeat", "-received_at"], name="monitoring_run_hb_at")]

    def __str__(self) -> str:
        return f"{self.heartbeat_id} {self.kind} {self.received_at:%Y-%m-%d %H:%M:%S}"

    @property
    def kind_badge(self) -> str:
        return PingKind(self.kind).badge

    @property
    def is_good_backup(self) -> bool:
        return bool(self.succeeded) and self.trusted


class HeartbeatNotice(models.Model):
    """A state change a ping made (down on a failure, up after down), to be told to the heartbeat's team
    (Art. 3, 13). Written with the change and marked told with the notice, so a change whose task was lost
    (the broker away) is told later by a sweep; the run itself is append-only, hence this row."""

    scope_unit_field = "heartbeat__unit"

    heartbeat = models.ForeignKey(
        Heartbeat, verbose_name=_("heartbeat"), on_delete=models.CASCADE, related_name="notices"
    )
    state = models.CharField(_("state"), max_length=10, choices=HeartbeatState.choices)
    # The ping's moment: it names the notice's event key, so telling twice sends once.
    at = models.DateTimeField(_("changed at"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    told_at = models.DateTimeField(_("told at"), null=True, blank=True)

    class Meta:
        verbose_name = _("heartbeat notice")
        verbose_name_plural = _("heartbeat notices")
        indexes = [
            models.Index(
                fields=["created_at"],
                name="monitoring_notice_untold",
                condition=models.Q(told_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.heartbeat_id} {self.state} {self.at:%Y-%m-%d %H:%M:%S}"


class Check(VersionedModel):
    """An active check of an inventory item, run by Yunwei itself (Art. 3: the running state of the OA
    system watched): its probe (`kind` and `spec`, fields in docs/probes.md), how often it runs and how
    it is damped (N failures before down, M successes before up, a shorter retry while failing).

    The check belongs to its item and so to the item's unit: `unit` is copied from the item for scoping.
    `next_run_at` is stored and indexed, anchored to slots (the previous slot plus the interval), and a
    dispatcher claims due checks with a conditional update on it, so no check runs twice in a slot.
    `damping` holds the damping state machine's state (`damping.DampingState.as_json`).
    """

    scope_unit_field = "unit"

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="checks", editable=False
    )
    item = models.ForeignKey(
        Item, verbose_name=_("inventory item"), on_delete=models.PROTECT, related_name="checks"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=CheckKind.choices)
    spec = models.JSONField(_("probe settings"), default=dict, blank=True)
    interval = models.PositiveIntegerField(_("interval (seconds)"), default=60)
    retry_interval = models.PositiveIntegerField(_("retry interval (seconds)"), default=20)
    fail_after = models.PositiveSmallIntegerField(_("failures before down"), default=3)
    recover_after = models.PositiveSmallIntegerField(_("successes before up"), default=2)
    is_reference = models.BooleanField(_("reference of the probe"), default=False)
    reference = models.ForeignKey(
        "self",
        verbose_name=_("depends on reference"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dependents",
    )
    damping = models.JSONField(_("damping state"), default=dict, blank=True, editable=False)
    state = models.CharField(
        _("state"), max_length=10, choices=CheckState.choices, default=CheckState.NEW, editable=False
    )
    state_reason = models.CharField(_("reason"), max_length=500, blank=True, editable=False)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, db_index=True, editable=False)
    # Damping options (docs/probes.md, "Damping"): "x failures within y seconds" for load-balanced pairs
    # (both or neither), and the flapping threshold and window (both or neither; none: no detection).
    window_failures = models.PositiveSmallIntegerField(_("failures within the window"), null=True, blank=True)
    window = models.PositiveIntegerField(_("failure window (seconds)"), null=True, blank=True)
    flap_threshold = models.PositiveSmallIntegerField(
        _("flapping threshold (changes)"), null=True, blank=True, default=6
    )
    flap_window = models.PositiveIntegerField(
        _("flapping window (seconds)"), null=True, blank=True, default=3600
    )
    # Made by applying a template: the fields it owns follow it (services/templates.py, docs/probes.md).
    template = models.ForeignKey(
        "CheckTemplate",
        verbose_name=_("template"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="checks",
    )

    class Meta:
        verbose_name = _("check")
        verbose_name_plural = _("checks")
        ordering = ["unit_id", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def state_badge(self) -> str:
        return CheckState(self.state).badge


class CheckResult(AppendOnlyModel):
    """One run of a check's probe, as judged by the probe (machine data: never an audit event)."""

    scope_unit_field = "active_check__unit"

    # Not `check`: that name is Django's Model.check() (the system checks).
    active_check = models.ForeignKey(
        Check, verbose_name=_("check"), on_delete=models.CASCADE, related_name="results"
    )
    at = models.DateTimeField(_("run at"))
    status = models.CharField(_("status"), max_length=10, choices=ResultStatus.choices)
    latency_ms = models.FloatField(_("latency (ms)"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    method = models.CharField(_("method"), max_length=30, blank=True)
    # What an https probe read off the server's certificate (ProbeResult.details), for the indicators.
    cert_days_left = models.FloatField(_("certificate days left"), null=True, blank=True)
    # The scheduled slot the run was claimed for (none for a "test now"): `at - slot` is its start delay.
    slot = models.DateTimeField(_("slot"), null=True, blank=True)

    class Meta:
        verbose_name = _("check result")
        verbose_name_plural = _("check results")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["active_check", "at"], name="monitoring_result_check_at")]
        # One result per check and slot, whatever two workers or a retried task do (a "test now" has none).
        constraints = [
            models.UniqueConstraint(fields=["active_check", "slot"], name="monitoring_result_one_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.active_check_id} {self.status} {self.at:%Y-%m-%d %H:%M:%S}"

    @property
    def status_badge(self) -> str:
        return ResultStatus(self.status).badge


class CheckRollup(models.Model):
    """A check's hour or day (in the site's time zone) summed up, kept 2 years when its raw results are
    kept 7 days (machine data, rewritten by the roll-up task, never audited).

    The seconds are the time the check's results cover (docs/probes.md, "Availability"): a result covers
    the time from its run to the next run, at most one interval; time no result covers is `no_data`.
    Time inside a maintenance window of the item (an approved change being carried out) is counted as
    `maintenance` whatever the results said; availability = up / (up + down), unknown, maintenance and
    no data left out.
    """

    scope_unit_field = "active_check__unit"

    active_check = models.ForeignKey(
        Check, verbose_name=_("check"), on_delete=models.CASCADE, related_name="rollups"
    )
    period = models.CharField(_("period"), max_length=4, choices=RollupPeriod.choices)
    start = models.DateTimeField(_("start"))
    up_seconds = models.FloatField(_("up (s)"), default=0)
    down_seconds = models.FloatField(_("down (s)"), default=0)
    unknown_seconds = models.FloatField(_("unknown (s)"), default=0)
    maintenance_seconds = models.FloatField(_("maintenance (s)"), default=0)
    no_data_seconds = models.FloatField(_("no data (s)"), default=0)
    runs = models.PositiveIntegerField(_("runs"), default=0)
    latency_count = models.PositiveIntegerField(_("latency samples"), default=0)
    latency_sum_ms = models.FloatField(_("latency sum (ms)"), default=0)
    latency_max_ms = models.FloatField(_("latency max (ms)"), null=True, blank=True)
    cert_days_min = models.FloatField(_("least certificate days left"), null=True, blank=True)

    class Meta:
        verbose_name = _("check roll-up")
        verbose_name_plural = _("check roll-ups")
        ordering = ["active_check_id", "period", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["active_check", "period", "start"], name="monitoring_rollup_unique_slot"
            )
        ]
        indexes = [models.Index(fields=["period", "start"], name="monitoring_rollup_period")]

    def __str__(self) -> str:
        return f"{self.active_check_id} {self.period} {self.start:%Y-%m-%d %H:%M}"

    @property
    def availability(self) -> float | None:
        """Up over up + down, as a percentage; None when nothing was judged (docs/probes.md)."""
        judged = self.up_seconds + self.down_seconds
        return 100.0 * self.up_seconds / judged if judged else None

    @property
    def latency_mean_ms(self) -> float | None:
        return self.latency_sum_ms / self.latency_count if self.latency_count else None


class CheckEvent(AppendOnlyModel):
    """What a check's damping did, in the order it happened (Art. 3: the running state watched): down, up
    again, unknown (the probe could not judge, or "monitoring blind" when the check's reference fails —
    one event when the blindness starts), judged again, flapping started and stopped. Machine data, one
    row per event, never an audit event; down, up and flapping also tell the item's team."""

    scope_unit_field = "active_check__unit"

    active_check = models.ForeignKey(
        Check, verbose_name=_("check"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("happened at"))
    kind = models.CharField(_("event"), max_length=20, choices=CheckEventKind.choices)
    state = models.CharField(_("state"), max_length=10, choices=CheckState.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("check event")
        verbose_name_plural = _("check events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["active_check", "-at"], name="monitoring_event_check_at")]

    def __str__(self) -> str:
        return f"{self.active_check_id} {self.kind} {self.at:%Y-%m-%d %H:%M:%S}"

    @property
    def kind_badge(self) -> str:
        return CheckEventKind(self.kind).badge


class CheckTemplate(VersionedModel):
    """The checks every item of a type gets (Art. 3: every server watched alike): a probe whose settings
    name the item's own values as placeholders (`{host}`, `{code}`, `{attr.port}` …, docs/probes.md
    "Templates"), applied in bulk to the items of the type in its scope and followed by the checks made
    from it.

    A template of the group applies to the items of every unit, one of a unit to that unit's items only.
    `enabled` off: nothing is applied and the checks made from it are not run.
    """

    scope_unit_field = "unit"

    unit = models.ForeignKey(
        Unit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="check_templates"
    )
    item_type = models.ForeignKey(
        ItemType, verbose_name=_("item type"), on_delete=models.PROTECT, related_name="check_templates"
    )
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=12, choices=CheckKind.choices)
    spec = models.JSONField(_("probe settings"), default=dict, blank=True)
    interval = models.PositiveIntegerField(_("interval (seconds)"), default=60)
    retry_interval = models.PositiveIntegerField(_("retry interval (seconds)"), default=20)
    fail_after = models.PositiveSmallIntegerField(_("failures before down"), default=3)
    recover_after = models.PositiveSmallIntegerField(_("successes before up"), default=2)
    enabled = models.BooleanField(_("enabled"), default=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("check template")
        verbose_name_plural = _("check templates")
        ordering = ["unit_id", "item_type_id", "name"]

    def __str__(self) -> str:
        return self.name


class Indicator(VersionedModel):
    """A running indicator (运行指标) of an inventory item — an application or any other item (Art. 3 (1):
    "保证系统各项运行指标符合有关规定"): its declared targets, each optional, and the figures read per day
    and per month from the check roll-ups and the backup runs (`services.indicators.figures`).

    The checks that count are the chosen ones, or all the item's checks when none is chosen; the backups
    are the finishing runs of the item's backup jobs. `unit` is copied from the item for scoping.
    """

    scope_unit_field = "unit"

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="indicators", editable=False
    )
    item = models.ForeignKey(
        Item, verbose_name=_("inventory item"), on_delete=models.PROTECT, related_name="indicators"
    )
    name = models.CharField(_("name"), max_length=200)
    checks = models.ManyToManyField(
        Check,
        verbose_name=_("checks counted"),
        blank=True,
        related_name="indicators",
        help_text=_("None chosen: every check of the item counts."),
    )
    availability_target = models.DecimalField(
        _("availability target (%)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    latency_target_ms = models.PositiveIntegerField(_("latency target (ms)"), null=True, blank=True)
    cert_days_target = models.PositiveIntegerField(_("certificate days left at least"), null=True, blank=True)
    backup_age_target_hours = models.PositiveIntegerField(
        _("backup age at most (hours)"), null=True, blank=True
    )
    backup_success_target = models.DecimalField(
        _("backup success rate target (%)"), max_digits=6, decimal_places=3, null=True, blank=True
    )

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["unit_id", "name"]

    def __str__(self) -> str:
        return self.name


class IndicatorBreach(models.Model):
    """A day on which an indicator's figure missed its target (Art. 3 (1)): machine data written by the
    daily evaluation, once per indicator, figure and day (a re-run adds nothing), never audited."""

    scope_unit_field = "indicator__unit"

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="breaches"
    )
    figure = models.CharField(_("figure"), max_length=20, choices=IndicatorFigure.choices)
    day = models.DateField(_("day"))
    target = models.FloatField(_("target"))
    actual = models.FloatField(_("actual"))
    detected_at = models.DateTimeField(_("detected at"), auto_now_add=True)

    class Meta:
        verbose_name = _("indicator breach")
        verbose_name_plural = _("indicator breaches")
        ordering = ["-day", "indicator_id", "figure"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "figure", "day"], name="monitoring_breach_once_a_day"
            )
        ]
        indexes = [models.Index(fields=["day"], name="monitoring_breach_day")]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.figure} {self.day}"
