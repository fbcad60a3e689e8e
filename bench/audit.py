"""Benchmark: audited writes from concurrent clients, their events sealed after commit, against the same
state change without audit in the same run.

    python bench/audit.py --scale small|full

Sets up a group with one unit and its incidents (reported through the incident service, so each has its
audit events), in its own database — `YUNWEI_DATABASE_URL` when set (an empty database of its own), else
a temporary SQLite file. Then 8 clients, each a process of its own with its own database connection,
make the transition reported → acknowledged through `incidents.services.transition` (the product's one
write path: the incident row locked, its timeline entry and its audit event written, committed; the
event sealed into the chain just after the commit), each client on incidents of its own:

- audited: the transition as the product makes it;
- head locked: the same transition with events written the way they were before sealing after commit:
  `record()` locked the chain's head row inside the caller's transaction, numbered and hashed the event
  there and moved the head, so the lock was held until commit (that former `record()` is put in place of
  the product's for this run only, below);
- unaudited: the same transition with `record()` writing nothing (put in place for this run only): what
  the service costs without its audit event, so audited ÷ unaudited is the price of the audit trail;
- baseline: the bare state change, without the service, timeline or audit: the row locked, `state` and
  `version` updated, committed.

Each transition runs in a transaction of the bench's own (the service's becomes a savepoint in it) so
the moment of commit is known: the seal lag is the time from that commit until the event is sealed. One
observer thread of the bench's process asks every 5 ms for the oldest unsealed event (an indexed query);
the clients tell afterwards when each of their events committed, and an event committed before a question
and older than that question's oldest unsealed one was sealed by then. After each transition a client
reads its event's key (audited runs) or the incident's version (the others), untimed, so the figures per
second of all four include one small read.

The four runs are interleaved, a quarter of each at a time, so that the changing load of a shared
machine falls on all of them alike. Prints transitions/s, p50 and p95 of each, the ratios (audited to
baseline, to unaudited and to head locked), the seal lag, and as its last line one JSON object. The
chain is verified at the end.

The clients are processes, not threads, because a deployment runs several web processes: threads of one
process share its interpreter lock, so their Python work (most of a transition's cost) ran one at a
time and the figure measured one core, whatever the machine had. Within a process, one thread at a time
seals (yunwei.audit.services.seal); with one client per process every commit's own sealer runs, and the
head's row lock (SKIP LOCKED) is what keeps sealers apart. The clients and the database share the
machine's cores. On SQLite one writer at a time: the figures measure that queue; the concurrent figure
that counts is PostgreSQL's.
"""

import argparse
import bisect
import statistics
import threading
import time

from common import Clients, migrate_empty, ms, p95, report, setup_django, start_together

CLIENTS = 8
SCALES = {"small": 40, "full": 250}  # transitions per client and run
RUNS = ("audited", "head_locked", "unaudited", "baseline")
OBSERVE_S = 0.005
ROUNDS = 4


def _head_locking_record(
    action,
    *,
    actor=None,
    obj=None,
    object_type="",
    object_id="",
    object_repr="",
    unit_id=None,
    before=None,
    after=None,
    comment="",
):
    """`audit.services.record` as it was before events were sealed after commit: it locks the head row
    in the caller's transaction (held until that commits), numbers and chains the event at once."""
    from django.db import transaction
    from django.utils import timezone

    from yunwei.audit import services
    from yunwei.audit.models import Action, AuditChainHead, AuditEvent

    action = Action(action)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
        unit_id = unit_id if unit_id is not None else services._unit_of(obj)
    has_account = actor is not None and actor.pk is not None
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=actor.pk if has_account else None,
            actor_name=actor.get_username() if has_account else ("system" if actor is None else "anonymous"),
            action=action.value,
            object_type=object_type,
            object_id=str(object_id),
            object_repr=str(object_repr)[:200],
            unit_id=unit_id,
            before=services.json_safe(before),
            after=services.json_safe(after),
            comment=str(comment),
            prev_hash=head.hash,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


def _no_record(action, **kwargs):
    """`record()` writing nothing, for the run without audit."""
    from yunwei.audit.models import AuditEvent

    return AuditEvent(action=action)


def _setup(per_run: int) -> dict:
    from django.db import transaction

    from yunwei.audit import services as audit
    from yunwei.incidents import services as incidents
    from yunwei.org.choices import Role, UnitKind
    from yunwei.org.models import Person, RoleAssignment, Unit

    group = Unit.objects.create(code="bench-group", name="集团公司", kind=UnitKind.GROUP)
    unit = Unit.objects.create(code="bench-unit", name="甲单位", parent=group)

    def account(username: str, where, role: str):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_user(username, "", None)
        RoleAssignment.objects.create(
            person=Person.objects.create(unit=where, name=username, account=user), unit=where, role=role
        )
        return user

    admin = account("bench-group-admin", group, Role.GROUP_ADMIN)
    reporter = account("bench-user", unit, Role.USER)
    wanted = CLIENTS * per_run * len(RUNS) + CLIENTS  # and one each for the clients' warm-up
    pks = []
    with transaction.atomic():
        for n in range(wanted):
            incident = incidents.report(
                actor=reporter, unit=unit, title=f"压测故障 {n}", impact_scope="one_user"
            )
            pks.append(incident.pk)
    while audit.seal():  # what the set-up recorded, sealed before the clock starts
        pass
    runs = {name: pks[k * CLIENTS * per_run : (k + 1) * CLIENTS * per_run] for k, name in enumerate(RUNS)}
    return {"admin": admin, "runs": runs, "warm_up": pks[-CLIENTS:]}


class Observer(threading.Thread):
    """Reads the oldest unsealed event every few milliseconds, until told to stop (then once more). The
    clients, in processes of their own, tell afterwards when each of their events committed, and the
    seal lags are read from these readings (`lags`)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.readings: list[tuple[float, float, int | None]] = []  # asked, answered, oldest unsealed key
        self.stop = threading.Event()

    def run(self) -> None:
        from django.db import connections
        from django.db.models import Min

        from yunwei.audit.models import AuditEvent

        try:
            while True:
                stopping = self.stop.is_set()
                asked = time.perf_counter()
                oldest = AuditEvent.objects.filter(seq__isnull=True).aggregate(pk=Min("pk"))["pk"]
                self.readings.append((asked, time.perf_counter(), oldest))
                if stopping:
                    return
                time.sleep(OBSERVE_S)
        finally:
            connections.close_all()

    def lags(self, watched: list[tuple[int, float]]) -> list[float]:
        """For each (event key, commit moment): the time from the commit until the first reading that
        found it sealed, that is, asked after the commit and finding only younger events unsealed."""
        asked = [reading[0] for reading in self.readings]
        lags = []
        for event_pk, committed in watched:
            for index in range(bisect.bisect_right(asked, committed), len(self.readings)):
                _asked, answered, oldest = self.readings[index]
                if oldest is None or event_pk < oldest:
                    lags.append(max(answered - committed, 0.0))
                    break
        return lags


def _client(name: str, pks: list[int], admin_pk: int) -> tuple[list[float], list[tuple[int, float]]]:
    """One client's part of a run, in a process of its own: each transition's time, and (audited run) each
    event's key with the moment its transaction committed."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import F, Max

    from yunwei.audit import services as audit
    from yunwei.audit.models import AuditEvent
    from yunwei.incidents import services as incidents
    from yunwei.incidents.models import Incident

    admin = get_user_model().objects.get(pk=admin_pk)
    times, watched = [], []

    def one(pk: int) -> None:
        committed = []
        incident = Incident.objects.get(pk=pk)
        began = time.perf_counter()
        with transaction.atomic():
            transaction.on_commit(lambda: committed.append(time.perf_counter()))
            if name == "baseline":
                Incident.objects.select_for_update().get(pk=pk)
                Incident.objects.filter(pk=pk).update(state="acknowledged", version=F("version") + 1)
            else:
                incidents.transition(incident, to="acknowledged", actor=admin, comment="bench")
        times.append(time.perf_counter() - began)
        if name in ("baseline", "unaudited"):
            Incident.objects.filter(pk=pk).values_list("version", flat=True).get()
        else:
            events = AuditEvent.objects.filter(object_type="incidents.incident", object_id=str(pk))
            watched.append((events.aggregate(pk=Max("pk"))["pk"], committed[0]))

    # The write path of this run, for this run only (the product's own for "audited").
    writers = {"head_locked": _head_locking_record, "unaudited": _no_record}
    product_record = audit.record
    audit.record = writers.get(name, product_record)
    try:
        start_together()
        for pk in pks:
            one(pk)
    finally:
        audit.record = product_record
    return times, watched if name == "audited" else []


def _run(clients: Clients, name: str, pks: list[int], admin_pk: int) -> tuple[list[float], list, float]:
    from yunwei.incidents.models import Incident

    jobs = [(name, pks[index::CLIENTS], admin_pk) for index in range(CLIENTS)]
    results, wall = clients.run(_client, jobs)
    acknowledged = Incident.objects.filter(pk__in=pks, state="acknowledged").count()
    assert acknowledged == len(pks), f"{name}: {acknowledged} of {len(pks)} acknowledged"
    times = [value for client_times, _ in results for value in client_times]
    watched = [pair for _, client_watched in results for pair in client_watched]
    return times, watched, wall


def _measure(data: dict, per_run: int) -> dict:
    """The runs interleaved, ROUNDS times each, so a shared machine's changing load falls on all alike."""
    from yunwei.audit import services as audit

    chunk = CLIENTS * per_run // ROUNDS
    times = {name: [] for name in RUNS}
    walls = dict.fromkeys(RUNS, 0.0)
    watched = []
    left = 0
    observer = Observer()
    observer.start()
    try:
        with Clients(CLIENTS) as clients:
            # Untimed: a new process compiles and loads on its first transition what it keeps after.
            _run(clients, "audited", data["warm_up"], data["admin"].pk)
            audit.seal()
            for round_ in range(ROUNDS):
                for name in RUNS:
                    pks = data["runs"][name][round_ * chunk : (round_ + 1) * chunk]
                    run_times, run_watched, wall = _run(clients, name, pks, data["admin"].pk)
                    times[name] += run_times
                    watched += run_watched
                    walls[name] += wall
                    if name == "audited":
                        left = max(left, audit.seal_status().unsealed)
                    # What a run left unsealed is sealed before the next, so the former path chains onto it.
                    audit.seal()
    finally:
        observer.stop.set()
        observer.join(timeout=60)
    figures = {}
    for name in RUNS:
        figures[f"{name}_per_s"] = round(len(times[name]) / walls[name], 1)
        figures[f"{name}_p50_ms"] = ms(statistics.median(times[name]))
        figures[f"{name}_p95_ms"] = ms(p95(times[name]))
    figures["unsealed_after_an_audited_run_max"] = left
    figures["seal_lags"] = observer.lags(watched)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from yunwei.audit import services as audit
    from yunwei.audit.models import AuditEvent

    migrate_empty(AuditEvent, "audit events")
    per_run = SCALES[args.scale]
    began = time.perf_counter()
    data = _setup(per_run)
    count = len(data["warm_up"]) + CLIENTS * per_run * len(RUNS)
    print(f"set up {count} incidents in {time.perf_counter() - began:.1f} s")

    figures = {"backend": connection.vendor, "clients": CLIENTS, "transitions_per_run": CLIENTS * per_run}
    figures.update(_measure(data, per_run))
    lags = figures.pop("seal_lags")
    figures["audited_ratio_per_s"] = round(figures["audited_per_s"] / figures["baseline_per_s"], 2)
    figures["audited_ratio_p95"] = round(figures["audited_p95_ms"] / max(figures["baseline_p95_ms"], 1e-9), 2)
    figures["audited_vs_unaudited_per_s"] = round(figures["audited_per_s"] / figures["unaudited_per_s"], 2)
    figures["head_locked_ratio_per_s"] = round(figures["head_locked_per_s"] / figures["baseline_per_s"], 2)
    figures["audited_vs_head_locked"] = round(figures["audited_per_s"] / figures["head_locked_per_s"], 2)
    figures["seal_lag_p50_ms"] = ms(statistics.median(lags)) if lags else None
    figures["seal_lag_p95_ms"] = ms(p95(lags)) if lags else None
    figures["seal_lag_max_ms"] = ms(max(lags)) if lags else None
    figures["seal_lags_measured"] = len(lags)
    result = audit.verify_chain()
    figures["chain_intact"] = result.ok
    figures["chain_events"] = result.checked
    if connection.vendor == "sqlite":
        figures["note"] = "SQLite: one writer at a time, the clients queue on the database lock"
    report(figures, 28, {"bench": "audit", "scale": args.scale})
    if not result.ok:
        raise SystemExit(f"the chain does not verify: {result}")


if __name__ == "__main__":
    main()
