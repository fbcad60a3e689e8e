"""The `yunwei` command: embedded `serve`, the scale-mode processes, and Django's commands.

Embedded mode (`yunwei serve`) runs migrations, loads the demo data on first start (`yunwei prepare`, in
a child) and keeps two children running: gunicorn and one Celery worker with the scheduler as one of its
threads (filesystem broker, SQLite, all under var/); a child that dies is restarted after a growing delay
(RestartPolicy). When the demo checks are in the database, a third child serves their targets on
127.0.0.1 (`yunwei demo-targets`; YUNWEI_DEMO_TARGETS=false leaves it out).
Scale mode runs `yunwei web`, `yunwei worker` and `yunwei scheduler` as separate processes
(docs/deploy.md); each replaces itself with gunicorn or Celery, keeping its pid, and systemd
restarts it.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

STOP_TIMEOUT = 20  # seconds a child gets to finish its requests and tasks before it is killed
WATCH_EVERY = 60.0  # seconds between two looks of the supervisor at the background machinery's heartbeats


@dataclass(frozen=True)
class RestartPolicy:
    """When the embedded supervisor restarts a child that died, and when it gives up.

    A child killed once (the kernel's OOM killer, a stray `kill -9`) comes back after `first_delay`;
    each further death within `window` doubles the delay up to `max_delay`, so a child that cannot
    start does not spin the machine. `give_up_after` deaths of one child within `window` mean it will
    not come up by itself (a broken database, a port taken): the supervisor stops the others and exits
    non-zero, so the operator sees it instead of a product half running forever. A child that stayed up
    longer than `window` has its earlier deaths forgotten and starts again at `first_delay`.
    """

    first_delay: float = 1.0  # seconds; long enough for a killed gunicorn's workers to release the port
    max_delay: float = 30.0  # seconds; the longest the web or the worker stays away between two tries
    give_up_after: int = 5  # deaths of one child within the window: 1 + 2 + 4 + 8 s of trying
    window: float = 60.0  # seconds; a child that ran this long was healthy: earlier deaths no longer count

    def next_delay(self, deaths: Sequence[float]) -> float | None:
        """The delay before restarting a child that died at `deaths[-1]`, or None to give up.

        `deaths` are the monotonic times this child died, oldest first, the latest one included.
        """
        latest = deaths[-1]
        recent = sum(1 for died in deaths if latest - died < self.window)
        if recent >= self.give_up_after:
            return None
        return min(self.max_delay, self.first_delay * 2 ** (recent - 1))

    def forget(self, deaths: list[float], now: float) -> None:
        """Drop the deaths that no longer count, so a long-running supervisor keeps a short list."""
        deaths[:] = [died for died in deaths if now - died < self.window]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunwei.settings")
    import django

    django.setup()


def _prepare_var() -> None:
    """Create var/ and the filesystem broker's folders; the children must agree on where they are."""
    from django.conf import settings

    folders = [settings.VAR_DIR, Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent]
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    keys = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
    folders += [options[key] for key in keys if key in options]
    for folder in folders:
        Path(folder).mkdir(parents=True, exist_ok=True)
    os.environ["YUNWEI_VAR_DIR"] = str(settings.VAR_DIR)


def _manage(*argv: str) -> None:
    from django.core.management import execute_from_command_line

    _prepare_var()  # the SQLite database lives there
    execute_from_command_line(["yunwei manage", *argv])


def _gunicorn_argv(bind: str, workers: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "yunwei.wsgi:application",
        "--config", "python:yunwei.gunicorn_conf",
        "--bind", bind, "--workers", str(workers), "--threads", str(threads),
        "--graceful-timeout", str(STOP_TIMEOUT // 2), "--access-logfile", "-", "--no-control-socket",
    ]  # fmt: skip


def _celery_argv(*argv: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "yunwei", *argv, "--loglevel", "INFO"]


def _exec(argv: list[str]) -> None:
    """Become the server process, so a supervisor (systemd) signals and watches it directly."""
    sys.stdout.flush()
    os.execv(argv[0], argv)  # noqa: S606 - our own interpreter with fixed arguments


def _load_demo_on_first_start() -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command, get_commands
    from django.db import transaction

    from yunwei.org.models import Unit

    if not Unit.objects.exists():
        if "demo" in get_commands():
            print("First start: loading demo data …", flush=True)
            try:
                with transaction.atomic():  # all or nothing, so the next start tries again
                    call_command("demo")
            except Exception:
                traceback.print_exc()
                print("Loading the demo data failed (above); starting without it.", file=sys.stderr)
        else:
            print("First start: no demo command available; starting with an empty database.", flush=True)
    codes = list(Unit.objects.values_list("code", flat=True))
    wanted = ["admin", "lead", "chief", "tech", "office"]
    wanted += [f"{code}-{role}" for code in codes for role in ("admin", "leader", "clerk", "user")]
    existing = set(get_user_model().objects.filter(username__in=wanted).values_list("username", flat=True))
    accounts = [name for name in wanted if name in existing]
    if accounts:
        from django.conf import settings

        print(f"Demo accounts (password {settings.DEMO_PASSWORD!r}): {', '.join(accounts)}", flush=True)


def _demo_targets_wanted() -> bool:
    """The demo's targets run when its checks are in the database (and nobody switched them off)."""
    if os.environ.get("YUNWEI_DEMO_TARGETS", "true").lower() in ("0", "false", "no", "off"):
        return False
    from yunwei.monitoring.demo import demo_checks_present

    return demo_checks_present()


def demo_targets(args: argparse.Namespace) -> None:
    """The demo checks' targets on 127.0.0.1 (yunwei/monitoring/demo_targets.py), until SIGTERM."""
    from yunwei.monitoring import demo_targets as targets

    targets.main()


def serve(args: argparse.Namespace) -> int:
    """Embedded mode: web server, worker and scheduler as one process tree, a dead child restarted.

    The supervisor itself never loads Django: the preparation and each look at the watch run in child
    processes, so the one process that lives as long as the tree stays small (bench/memory.py)."""
    demo_targets_wanted = _prepare_in_child()
    port = os.environ.get("YUNWEI_PORT", "8000")
    children = {
        # One web process of eight threads: SQLite takes one writer at a time anyway, and each process
        # more costs about 130 MiB (scale mode runs as many as the machine takes).
        "web": _gunicorn_argv(f"127.0.0.1:{port}", workers=1, threads=8),
        # The scheduler as a thread of the worker (yunwei.celery.ThreadedBeat): one process fewer.
        "worker": _celery_argv(
            "worker", "--beat-thread", "--pool=threads", "--concurrency=4", "-Q", "default"
        ),
    }
    if demo_targets_wanted:
        children["demo-targets"] = [sys.executable, "-m", "yunwei.cli", "demo-targets"]
    print(f"Yunwei is starting at http://127.0.0.1:{port}/ — press Ctrl-C to stop.", flush=True)
    return run_supervisor(children)


DEMO_TARGETS_WANTED = "demo-targets: wanted"  # the last line `yunwei prepare` prints when they are


def prepare(args: argparse.Namespace) -> int:
    """What `serve` does before it starts the children: var/, migrations, static files, the demo on first
    start; says on its last line whether the demo's targets should run."""
    _setup_django()
    _prepare_var()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)
    call_command("collectstatic", interactive=False, verbosity=0)
    _load_demo_on_first_start()
    if _demo_targets_wanted():
        print(DEMO_TARGETS_WANTED, flush=True)
    return 0


def _prepare_in_child() -> bool:
    """Run `yunwei prepare` as a child, passing its output on; whether the demo's targets are wanted."""
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "yunwei.cli", "prepare"], stdout=subprocess.PIPE, text=True
    )
    wanted = False
    for line in child.stdout:
        if line.strip() == DEMO_TARGETS_WANTED:
            wanted = True
        else:
            print(line, end="", flush=True)
    if child.wait() != 0:
        raise SystemExit(f"Preparing Yunwei failed ({_how_it_ended(child.returncode)}); see above.")
    return wanted


def run_supervisor(children: dict[str, list[str]], policy: RestartPolicy | None = None) -> int:
    """Supervise `children` until SIGINT or SIGTERM (exit 0) or until one keeps dying (exit 1)."""
    stopping: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.append(signum))
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    return supervise(children, policy or RestartPolicy(), stopping=lambda: bool(stopping), tick=_watch)


def _watch() -> None:
    """Tell the system management lead when the scheduler or the workers went quiet, from the supervisor:
    the one process of the tree that depends on neither of them (`yunwei manage watch`, yunwei.web.watch),
    run as a short-lived child so the supervisor stays small."""
    try:
        subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "yunwei.cli", "manage", "watch"], timeout=WATCH_EVERY, check=False
        )
    except (
        OSError,
        subprocess.TimeoutExpired,
    ):  # the supervisor keeps supervising; the next look tries again
        traceback.print_exc()


def _how_it_ended(returncode: int) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-returncode).name}"
        return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def supervise(
    children: dict[str, list[str]],
    policy: RestartPolicy,
    *,
    stopping: Callable[[], bool],
    poll: float = 0.5,
    tick: Callable[[], None] | None = None,
    tick_every: float = WATCH_EVERY,
) -> int:
    """Run each child, restart one that died as `policy` says, call `tick` every `tick_every` seconds,
    and stop them all at the end.

    Returns 0 when `stopping()` turned true, 1 when a child died too often and the others were stopped.
    """

    def start(name: str) -> subprocess.Popen:
        # Own process groups: a Ctrl-C reaches only this process, which then stops the children in
        # order; and a dead child's leftovers (gunicorn's workers) can be killed as one group.
        proc = subprocess.Popen(children[name], process_group=0)  # noqa: S603 - our own argv
        _say(f"The {name} process started (pid {proc.pid}).")
        return proc

    procs = {name: start(name) for name in children}
    deaths: dict[str, list[float]] = {name: [] for name in children}
    restart_at: dict[str, float] = {}  # children waiting for their delay to pass
    gave_up = False
    next_tick = time.monotonic() + tick_every
    while not stopping() and not gave_up:
        now = time.monotonic()
        if tick is not None and now >= next_tick:
            next_tick = now + tick_every
            tick()
        for name, proc in procs.items():
            if name in restart_at or proc.poll() is None:
                continue
            # What the dead child left in its group (gunicorn's workers holding the port) goes too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            deaths[name].append(now)
            policy.forget(deaths[name], now)
            delay = policy.next_delay(deaths[name])
            if delay is None:
                _say(
                    f"The {name} process {_how_it_ended(proc.returncode)}; it died {len(deaths[name])} times "
                    f"within {policy.window:g} s, so Yunwei gives up and stops the others."
                )
                gave_up = True
                break
            _say(f"The {name} process {_how_it_ended(proc.returncode)}; restarting it in {delay:g} s.")
            restart_at[name] = now + delay
        for name, when in list(restart_at.items()):
            if not gave_up and not stopping() and time.monotonic() >= when:
                del restart_at[name]
                procs[name] = start(name)
        next_restart = min(restart_at.values(), default=now + poll)
        if not gave_up and not stopping():
            time.sleep(min(poll, max(0.0, next_restart - time.monotonic())))
    _stop(procs)
    return 1 if gave_up else 0


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for proc in procs.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        # Kill the whole group: gunicorn's workers and anything else the child left behind.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def web(args: argparse.Namespace) -> None:
    _prepare_var()
    _exec(_gunicorn_argv(args.bind, args.workers, args.threads))


def worker(args: argparse.Namespace) -> None:
    _prepare_var()
    argv = ["worker", "-Q", args.queues, "--concurrency", str(args.concurrency), "--pool", args.pool]
    if args.hostname:
        argv += ["--hostname", args.hostname]
    _exec(_celery_argv(*argv))


def scheduler(args: argparse.Namespace) -> None:
    _prepare_var()
    _exec(_celery_argv("beat"))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yunwei", description="Yunwei (运维) O&M management platform")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    sub.add_parser("serve", help="embedded mode: web server, worker and scheduler in one process tree")
    sub.add_parser(
        "prepare", help="what serve does before starting: migrate, static files, the demo on first start"
    )

    p = sub.add_parser("web", help="the web server only (scale mode)")
    p.add_argument("--bind", default=f"127.0.0.1:{os.environ.get('YUNWEI_PORT', '8000')}")
    p.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    p.add_argument("--threads", type=int, default=4)

    p = sub.add_parser("worker", help="a Celery worker without scheduler (scale mode)")
    p.add_argument("-Q", "--queues", default="default", help="comma-separated queues to consume")
    p.add_argument("--concurrency", type=int, default=os.cpu_count() or 1)
    p.add_argument("--pool", default="prefork", choices=["prefork", "threads", "solo"])
    p.add_argument("-n", "--hostname", help="node name, e.g. worker1@%%h")

    sub.add_parser("scheduler", help="the Celery beat scheduler: run exactly one (scale mode)")
    sub.add_parser(
        "demo-targets", help="the demo checks' targets on 127.0.0.1 (started by serve with the demo)"
    )
    # Listed for --help only: main() hands these to Django before argparse sees their options.
    for name, help_text in DJANGO_COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


# yunwei <name> [options] runs the Django management command of the same name (`audit verify`:
# audit_verify; `manage X`: any command X), with the options Django defines for it.
DJANGO_COMMANDS = {
    "migrate": "apply database migrations",
    "demo": "load the demo data",
    "createadmin": "create a group system administrator",
    "audit": (
        "audit log tools: `yunwei audit verify [--incremental]` checks the hash chain against the heads "
        "written outside the database; `yunwei audit anchor` writes the head out now"
    ),
    "backup": (
        "Yunwei's own backup: `yunwei backup [-o FILE]` writes the database dump, var/'s files and a "
        "manifest of SHA-256 sums and row counts into one .tar.gz"
    ),
    "restore": (
        "`yunwei restore FILE` into an empty database and var/, then checks row counts and the audit chain"
    ),
    "manage": "any Django management command: yunwei manage <command> [options]",
}
PROCESSES = {
    "serve": serve,
    "prepare": prepare,
    "web": web,
    "worker": worker,
    "scheduler": scheduler,
    "demo-targets": demo_targets,
}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunwei.settings")
    argv = sys.argv[1:] if argv is None else argv
    command, rest = (argv[0], argv[1:]) if argv else (None, [])
    if command == "manage":
        _manage(*(rest or ["help"]))
    elif command == "audit" and rest and not rest[0].startswith("-"):
        _manage(f"audit_{rest[0]}", *rest[1:])
    elif command in DJANGO_COMMANDS and command != "audit":
        _manage(command, *rest)
    else:
        args = _parser().parse_args(argv)
        if args.command == "audit":
            _parser().error("audit needs an action: yunwei audit verify")
        return PROCESSES[args.command](args) or 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
