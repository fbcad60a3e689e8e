"""The pages and ingest benches through scale mode (issue 27): two `yunwei web`, two `yunwei worker` and the
`yunwei scheduler` on a fresh PostgreSQL database and Redis database 12, on loopback.

Each bench runs at its tiny scale with `--url` given once per web process: the pages bench generates its
data in the product's database, signs its two personas in through the log-in form and fetches every page
as each (the product asks admins for the second factor, which the bench passes with a TOTP device of
its own); the ingest bench adds its own unit and integration there and sends Alertmanager webhooks, which
the workers correlate. Asserted from the benches' last line (their JSON): every page answered 200 for both
personas, and every alert accepted was stored once (rows = distinct alerts sent, rows + repeats = alerts
accepted) and correlated; and from the access logs, that both web processes served both benches. No
timing is asserted. Skips, saying why, when PostgreSQL or Redis is not reachable.
"""

import json
import subprocess
import sys

import pytest

from .stack import ROOT, Processes, fresh_services, product_env, start_web_and_workers

pytestmark = pytest.mark.scale

REDIS_URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def processes(tmp_path):
    with fresh_services(REDIS_URL) as database_url:
        # Admins must pass the second factor: the pages bench's personas (admins) sign in through it.
        env = product_env(database_url, REDIS_URL, tmp_path, YUNWEI_REQUIRE_TOTP_FOR_ADMINS="true")
        procs = Processes(env, tmp_path)
        try:
            yield procs
        finally:
            procs.stop()


def _bench(procs: Processes, script: str, *args: str) -> dict:
    """The bench run on the product's database; its last line, the JSON of its figures."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(ROOT / "bench" / script), "--scale", "tiny", *args],
        env=procs.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (
        f"{script} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}\n{procs.output()}"
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_pages_and_ingest_benches_run_through_two_web_processes_two_workers_and_the_scheduler(processes):
    processes.run("migrate", "--noinput")
    processes.run("manage", "collectstatic", "--noinput", "-v0")  # pages need the static manifest
    bases, _workers = start_web_and_workers(processes, scheduler=True)
    urls = [part for base in bases for part in ("--url", base)]

    pages = _bench(processes, "pages.py", "--samples", "3", *urls)
    assert pages["over"] == "http" and pages["urls"] == bases
    assert pages["personas"] == ["unit", "group"]
    missing = [
        f"{page}_{who}"
        for page in pages["pages"]
        for who in pages["personas"]
        if f"{page}_{who}" not in pages
    ]
    assert not missing, f"pages not measured: {missing}"
    assert pages["not_200"] == {}, f"pages answered other than 200: {pages['not_200']}"

    ingest = _bench(processes, "ingest.py", *urls)
    assert ingest["urls"] == bases
    assert ingest["refused"] == 0
    assert ingest["alert_rows"] == ingest["distinct_alerts_sent"], (
        "an accepted alert stored twice or not at all"
    )
    assert ingest["rows_plus_repeats"] == ingest["alerts_delivered"], "a delivery lost or counted twice"
    assert ingest["left_uncorrelated"] == 0, "the workers left alerts uncorrelated"

    processes.check_alive()
    logs = "".join((processes.logs / f"{name}.log").read_text() for name in ("web1", "web2"))
    assert logs.count('"POST /accounts/otp/') == 2, "the personas did not pass the second factor over HTTP"
    for name in ("web1", "web2"):  # gunicorn's access log: each web process served both benches
        log = (processes.logs / f"{name}.log").read_text()
        assert '"GET /incidents/' in log, f"{name} served no incident list\n{log[-2000:]}"
        assert '"POST /intake/alertmanager/' in log, f"{name} took no webhook\n{log[-2000:]}"
