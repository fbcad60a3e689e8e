"""Benchmark: the whole platform's idle memory in embedded mode, with monitoring running, beside the same
platform before monitoring existed, both measured in this run.

    python bench/memory.py --scale small|full

Starts `yunwei serve` twice, each on a fresh var folder (SQLite, the demo loaded on first start, a free
loopback port), and measures its whole process tree (the supervisor, gunicorn's master and workers, the
Celery worker with its scheduler, and whatever else `serve` starts) once it answers /healthz and has
then stood idle for a while — idle for people, not for monitoring: the demo's checks and heartbeat
sweeps keep running.

- the product: this checkout;
- the baseline: the commit before the monitoring app (`BASELINE`), checked out into a temporary git
  worktree and run with the same interpreter and packages.

Memory is summed over the tree as RSS (what `ps` shows; shared pages of forked gunicorn workers counted
once per process) and as PSS (shared pages divided among their sharers: the honest total), sampled a
few times and taken at the median, from `/proc/<pid>/smaps_rollup` (Rss and Pss). Prints each of the
product's processes with its share, the figures and, as its last line, one JSON object: the product's
increase over the baseline is `added_rss_mib` (issue 20's budget: at most 60 MiB), and its whole RSS is
held to `TARGET_RSS_MIB` (issue 27: 400 MiB; `missed_targets` names what is over).
"""

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import report

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "35de71e^"  # the parent of the first commit of yunwei/monitoring
SCALES = {"small": (30, 3), "full": (120, 6)}  # seconds idle before sampling, samples (5 s apart)
TARGET_RSS_MIB = 400


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tree(root: int) -> list[int]:
    """The pid `root` and every descendant, read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                # The command name may hold spaces and parentheses: the fields after the last ")" are fixed.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(parents.get(pid, []))
    return found


def _kib(pid: int, path: str, key: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def _role(pid: int) -> str:
    """What a process of the tree is, from its command line."""
    with contextlib.suppress(OSError):
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        for word, role in (("gunicorn", "web"), ("celery", "worker"), ("demo-targets", "demo-targets")):
            if any(word in arg for arg in argv):
                return role
        if any("serve" in arg for arg in argv):
            return "supervisor"
    return "other"


def _sample(root: int) -> dict:
    pids = _tree(root)
    rows = [(_role(pid), _kib(pid, "smaps_rollup", "Rss"), _kib(pid, "smaps_rollup", "Pss")) for pid in pids]
    return {
        "processes": len(pids),
        "rss_mib": sum(rss for _role, rss, _pss in rows) / 1024,
        "pss_mib": sum(pss for _role, _rss, pss in rows) / 1024,
        "rows": rows,
    }


def measure(name: str, source: Path, idle: int, samples: int) -> dict:
    """Serve from `source` on a fresh var folder; the median of `samples` samples after `idle` seconds."""
    var = Path(tempfile.mkdtemp(prefix=f"yunwei-memory-{name}-"))
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(source),
        "YUNWEI_VAR_DIR": str(var),
        "YUNWEI_PORT": str(port),
        "DJANGO_SETTINGS_MODULE": "yunwei.settings",
    }
    env.pop("YUNWEI_DATABASE_URL", None)  # the embedded default: SQLite under var/
    code = "import sys; from yunwei.cli import main; sys.exit(main(['serve']))"
    with (var / "serve.log").open("w") as log:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", code], cwd=source, env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 300  # the first start migrates and loads the demo
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                print((var / "serve.log").read_text()[-3000:], file=sys.stderr)
                sys.exit(f"{name}: yunwei serve did not start")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer,
            ):
                if answer.status == 200:
                    break
            time.sleep(1)
        time.sleep(idle)
        taken = []
        for _ in range(samples):
            taken.append(_sample(server.pid))
            time.sleep(5)
        for role, rss, pss in taken[-1]["rows"]:
            print(f"{name:>8} {role:>12}: RSS {rss / 1024:6.1f} MiB, PSS {pss / 1024:6.1f} MiB", flush=True)
        keys = ("processes", "rss_mib", "pss_mib")
        return {key: round(statistics.median(sample[key] for sample in taken), 1) for key in keys}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(var, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="small")
    args = parser.parse_args()
    idle, samples = SCALES[args.scale]

    baseline_tree = Path(tempfile.mkdtemp(prefix="yunwei-memory-baseline-"))
    subprocess.run(  # noqa: S603 - git with fixed arguments
        ["git", "worktree", "add", "--detach", str(baseline_tree), BASELINE],  # noqa: S607
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    try:
        baseline = measure("baseline", baseline_tree, idle, samples)
    finally:
        subprocess.run(  # noqa: S603
            ["git", "worktree", "remove", "--force", str(baseline_tree)],  # noqa: S607
            cwd=ROOT, check=False, capture_output=True,
        )  # fmt: skip
    product = measure("product", ROOT, idle, samples)

    figures = {
        "baseline_processes": baseline["processes"],
        "baseline_rss_mib": baseline["rss_mib"],
        "baseline_pss_mib": baseline["pss_mib"],
        "product_processes": product["processes"],
        "product_rss_mib": product["rss_mib"],
        "product_pss_mib": product["pss_mib"],
        "added_rss_mib": round(product["rss_mib"] - baseline["rss_mib"], 1),
        "added_pss_mib": round(product["pss_mib"] - baseline["pss_mib"], 1),
        "rss_ratio": round(product["rss_mib"] / baseline["rss_mib"], 3),
        "target_rss_mib": TARGET_RSS_MIB,
        "missed_targets": ["rss_mib"] if product["rss_mib"] > TARGET_RSS_MIB else [],
    }
    summary = {"benchmark": "memory", "scale": args.scale, "baseline_commit": BASELINE, "idle_s": idle}
    report(figures, 20, summary)


if __name__ == "__main__":
    main()
