"""Active checks through the services: a bad spec refused naming the field, a run against a real local
HTTP server going up, a closed port going down after N failures with one notice to the item's team, an
unreachable resolver staying unknown (never down), the dispatcher claiming a due check once, and no
audit event per result."""

import datetime

import pytest

from yunwei.audit.models import AuditEvent
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.monitoring import services
from yunwei.monitoring.models import Check, CheckResult
from yunwei.notify.models import Delivery, Notice

from .targets import free_port

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)


def _make(actor, item, kind="tcp", spec=None, **fields) -> Check:
    return services.create(
        Check,
        actor=actor,
        item=item,
        name=fields.pop("name", "甲数据库端口"),
        kind=kind,
        spec=spec if spec is not None else {"host": "127.0.0.1", "port": free_port(), "timeout": 0.5},
        **fields,
    )


def _notices(check) -> list[str]:
    return list(
        Notice.objects.filter(event_key__startswith=f"check:{check.pk}:")
        .order_by("id")
        .values_list("event_key", flat=True)
    )


def _runs(check, count: int, start=START, every=datetime.timedelta(seconds=20)) -> list[str]:
    states = []
    for n in range(count):
        services.run_check(check.pk, now=start + every * n)
        states.append(Check.objects.get(pk=check.pk).state)
    return states


@pytest.mark.parametrize(
    ("kind", "spec", "named"),
    [
        ("http", {}, "'url'"),
        ("http", {"url": "ftp://oa.example.cn/"}, "'url'"),
        ("tcp", {"host": "127.0.0.1"}, "'port'"),
        ("tcp", {"host": "127.0.0.1", "port": 70000}, "'port'"),
        ("dns", {"name": "oa.example.cn", "timeout": 500}, "'timeout'"),
        ("snmp", {"host": "127.0.0.1"}, "'oid'"),
        ("postgresql", {"host": "127.0.0.1"}, "'user'"),
    ],
)
def test_a_bad_spec_is_refused_naming_its_field(group_admin, db_server_a, kind, spec, named):
    with pytest.raises(DomainError) as refused:
        _make(group_admin, db_server_a, kind=kind, spec=spec)
    assert refused.value.field == "spec"
    assert named in refused.value.message
    assert not Check.objects.exists()


def test_a_check_takes_its_unit_from_its_item_and_its_creation_is_audited(group_admin, db_server_a, unit_a):
    check = _make(group_admin, db_server_a)
    assert check.unit_id == unit_a.pk
    assert (check.state, check.version) == ("new", 1)
    assert check.next_run_at is not None  # due at once
    assert AuditEvent.objects.filter(action="create", object_id=str(check.pk)).exists()


def test_a_unit_user_may_not_create_a_check(unit_user_a, db_server_a):
    with pytest.raises(PermissionDenied):
        _make(unit_user_a, db_server_a)
    assert not Check.objects.exists()


def test_a_reference_must_be_marked_as_one(group_admin, db_server_a):
    plain = _make(group_admin, db_server_a, name="普通")
    with pytest.raises(DomainError) as refused:
        _make(group_admin, db_server_a, name="依赖", reference=plain)
    assert refused.value.field == "reference"


def test_a_check_of_a_live_http_server_goes_up_with_its_latency(group_admin, db_server_a, httpserver):
    httpserver.expect_request("/health").respond_with_data("ok")
    check = _make(group_admin, db_server_a, kind="http", spec={"url": httpserver.url_for("/health")})
    audited = AuditEvent.objects.count()
    result = services.run_check(check.pk, now=START)
    check.refresh_from_db()
    assert (result.status, result.method) == ("up", "http")
    assert result.latency_ms is not None and result.latency_ms > 0
    assert (check.state, check.last_run_at) == ("up", START)
    assert check.damping["state"] == "up"
    assert _notices(check) == []  # a new check's first success tells nobody
    assert AuditEvent.objects.count() == audited  # results are machine data


def test_a_closed_port_goes_down_after_n_failures_and_the_team_is_told_once(
    group_admin, db_server_a, team_member_a
):
    check = _make(group_admin, db_server_a, fail_after=3)
    # The newest event written so far (primary keys follow the order of writing; numbers come at sealing).
    audited = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert _runs(check, 5) == ["new", "new", "down", "down", "down"]
    check.refresh_from_db()
    assert "refused" in check.state_reason
    assert CheckResult.objects.filter(active_check=check, status="down").count() == 5
    [key] = _notices(check)
    assert ":down:" in key
    assert sorted(Delivery.objects.filter(event_key=key).values_list("recipient", flat=True)) == [
        "a-ops@example.cn"
    ]
    assert "甲数据库端口" in Notice.objects.get(event_key=key).subject_zh
    # Five results and their damping, no audit event; the incident monitoring opened on the down is
    # audited as any other (docs/correlation.md).
    written = AuditEvent.objects.filter(pk__gt=audited)
    assert set(written.values_list("object_type", flat=True)) == {"incidents.incident"}


def test_a_down_check_comes_back_up_after_m_successes_and_says_so_once(
    group_admin, db_server_a, team_member_a, httpserver
):
    httpserver.expect_request("/health").respond_with_data("ok")
    closed = f"http://127.0.0.1:{free_port()}/health"
    check = _make(
        group_admin,
        db_server_a,
        kind="http",
        spec={"url": closed, "timeout": 0.5},
        fail_after=2,
        recover_after=2,
    )
    assert _runs(check, 2) == ["new", "down"]
    Check.objects.filter(pk=check.pk).update(spec={"url": httpserver.url_for("/health")})
    assert _runs(check, 3, start=START + datetime.timedelta(minutes=5)) == ["down", "up", "up"]
    keys = _notices(check)
    assert [key.split(":")[2] for key in keys] == ["down", "up"]


def test_an_unreachable_resolver_is_unknown_and_never_down(group_admin, db_server_a, team_member_a):
    spec = {"name": "oa.example.test", "server": "127.0.0.1", "port": free_port(), "timeout": 0.3}
    check = _make(group_admin, db_server_a, kind="dns", spec=spec, fail_after=1)
    assert _runs(check, 3) == ["unknown", "unknown", "unknown"]
    check.refresh_from_db()
    assert check.state_reason.startswith("the resolver 127.0.0.1:")
    assert set(CheckResult.objects.filter(active_check=check).values_list("status", flat=True)) == {"unknown"}
    assert _notices(check) == []


def test_a_check_behind_a_failing_reference_goes_unknown_not_down(group_admin, db_server_a, team_member_a):
    gateway = _make(group_admin, db_server_a, name="网关", is_reference=True, fail_after=1)
    check = _make(group_admin, db_server_a, name="依赖网关", reference=gateway, fail_after=1)
    services.run_check(gateway.pk, now=START)
    assert Check.objects.get(pk=gateway.pk).state == "down"
    services.run_check(check.pk, now=START)
    check.refresh_from_db()
    assert check.state == "unknown"
    assert check.state_reason == "monitoring blind: reference 网关 is failing"
    assert _notices(check) == []


def test_the_dispatcher_claims_a_due_check_once_across_two_calls(group_admin, db_server_a):
    check = _make(group_admin, db_server_a, interval=60)
    slot = START
    Check.objects.filter(pk=check.pk).update(next_run_at=slot)
    now = slot + datetime.timedelta(seconds=3)
    # Both dispatchers read the due check before either claims it.
    assert services.due_checks(now) == [(check.pk, slot)]
    assert services.claim(check.pk, slot, now) is True
    assert services.claim(check.pk, slot, now) is False
    check.refresh_from_db()
    assert check.next_run_at == slot + datetime.timedelta(seconds=60)  # anchored to the slot, not to now


def test_dispatching_twice_runs_a_due_check_once_and_anchors_the_retry_to_its_slot(
    group_admin, db_server_a, django_capture_on_commit_callbacks
):
    check = _make(group_admin, db_server_a, interval=60, retry_interval=20, fail_after=3)
    slot = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    Check.objects.filter(pk=check.pk).update(next_run_at=slot)
    with django_capture_on_commit_callbacks(execute=True):  # the run is queued on commit (eager here)
        assert services.dispatch_due() == [(check.pk, slot)]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.dispatch_due() == []
    assert CheckResult.objects.filter(active_check=check).count() == 1
    check.refresh_from_db()
    # failing short of down: the retry comes a retry interval after the slot
    assert check.next_run_at == slot + datetime.timedelta(seconds=20)


def test_a_missed_slot_is_not_made_up(group_admin, db_server_a):
    check = _make(group_admin, db_server_a, interval=60)
    Check.objects.filter(pk=check.pk).update(next_run_at=START)
    assert services.claim(check.pk, START, START + datetime.timedelta(seconds=150)) is True
    assert Check.objects.get(pk=check.pk).next_run_at == START + datetime.timedelta(seconds=180)


def test_a_check_with_results_is_deleted_with_them_and_the_delete_is_audited(group_admin, db_server_a):
    check = _make(group_admin, db_server_a)
    pk = check.pk
    services.run_check(pk, now=START)
    services.delete(check, actor=group_admin)
    assert not Check.objects.filter(pk=pk).exists()
    assert not CheckResult.objects.exists()
    assert AuditEvent.objects.filter(action="delete", object_id=str(pk)).exists()


def test_the_dispatcher_is_on_the_beat_schedule_and_both_tasks_have_a_route(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "yunwei.monitoring.tasks.dispatch_due_checks" in tasks
    for name in ("dispatch_due_checks", "run_check"):
        assert settings.CELERY_TASK_ROUTES[f"yunwei.monitoring.tasks.{name}"] == {"queue": "default"}


def test_a_check_still_down_is_reminded_of_every_four_hours(group_admin, db_server_a, team_member_a):
    check = _make(group_admin, db_server_a, fail_after=1)
    for minutes in (0, 60, 239, 240, 300):
        services.run_check(check.pk, now=START + datetime.timedelta(minutes=minutes))
    assert [key.split(":")[2] for key in _notices(check)] == ["down", "reminder"]
    reminder = Notice.objects.get(event_key=_notices(check)[1])
    assert reminder.subject_zh == "【检查仍故障】甲数据库端口"
