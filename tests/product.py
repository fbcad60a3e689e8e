"""The real product for end-to-end tests: `yunwei web` (gunicorn) with the demo data, on SQLite in a
temporary folder, on a free loopback port."""

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

YUNWEI = str(Path(sys.executable).with_name("yunwei"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(var_dir: Path) -> dict:
    env = {**os.environ, "YUNWEI_VAR_DIR": str(var_dir), "YUNWEI_TASKS_EAGER": "true"}
    env.pop("YUNWEI_DATABASE_URL", None)  # its own SQLite database, whatever the suite runs on
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _demo_folder(shared: Path) -> Path:
    """A var/ folder migrated, with the demo loaded and the static files collected — made once per test run
    by whichever product starts first (the workers of pytest-xdist take turns on a lock), then copied by
    every product: each starts from the same fresh demo and changes only its own copy."""
    folder = shared / "yunwei-demo"
    with (shared / "yunwei-demo.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "ready").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            for command in (["migrate"], ["demo"], ["manage", "collectstatic", "--noinput", "-v0"]):
                subprocess.run([YUNWEI, *command], env=_environment(folder), check=True, capture_output=True)
            (folder / "ready").touch()
    return folder


@contextlib.contextmanager
def running_product(var_dir: Path, shared: Path):
    """The product on a copy of the run's demo folder (`_demo_folder(shared)`) in `var_dir`."""
    shutil.copytree(_demo_folder(shared), var_dir, dirs_exist_ok=True)
    with serving(var_dir, _environment(var_dir)) as url:
        yield url


@contextlib.contextmanager
def serving(var_dir: Path, env: dict):
    """`yunwei web` with `env` on a free loopback port until /healthz answers; its log in `var_dir`."""
    port = _free_port()
    log_path = var_dir / "web.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [YUNWEI, "web", "--bind", f"127.0.0.1:{port}", "--workers", "2"], env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1):  # noqa: S310 - loopback
                    break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"the web server exited: {log_path.read_text()[-2000:]}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the product did not start: {url}/healthz never answered within 30 s; "
                        f"the end of {log_path}:\n{log_path.read_text()[-2000:]}"
                    ) from None
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
