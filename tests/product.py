"""The real product for end-to-end tests: `yunwei web` (gunicorn) with the demo data, on SQLite in a
temporary folder, on a free loopback port."""

import contextlib
import os
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


@contextlib.contextmanager
def running_product(var_dir: Path):
    env = {**os.environ, "YUNWEI_VAR_DIR": str(var_dir), "YUNWEI_TASKS_EAGER": "true"}
    env.pop("YUNWEI_DATABASE_URL", None)  # its own SQLite database, whatever the suite runs on
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for command in (["migrate"], ["demo"], ["manage", "collectstatic", "--noinput", "-v0"]):
        subprocess.run([YUNWEI, *command], env=env, check=True, capture_output=True)
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
