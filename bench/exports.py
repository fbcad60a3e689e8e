"""Benchmark: the incident list's .xlsx export at 100,000 rows, streamed without holding the sheet.

    python bench/exports.py --scale small|full

In its own database — `YUNWEI_DATABASE_URL` when set (an empty database of its own), else a temporary
SQLite file — it makes a unit, a group admin and the incidents (full: 100,000, small: 10,000; titles,
descriptions and resolutions of a realistic length, a few formula-like), then measures each of these in
a fresh Python process of its own, as a web process would serve it (Django's test client on the real
view, the response read to its end and thrown away like a socket would send it):

1. **Baseline (page)**: the process signs in and renders the incident list's first page — the peak RSS
   of a web process that served a list.
2. **Baseline (in memory)**: the same rows written by openpyxl's ordinary workbook into memory, then
   saved — what an export that holds the whole sheet costs (the way the inventory export still works).
3. **Export (streamed)**: GET /incidents/export/ with the job threshold lifted — the write-only workbook
   to a temporary file, sent from there (`yunwei.core.exports.xlsx_response`).
4. **Export job, web side**: GET /incidents/export/ past the threshold (EXPORT_JOB_ROWS) — the web process
   counts at most threshold + 1 rows, records the job and answers a redirect to its page (the task is not
   sent: the next process is the worker).
5. **Export job, worker side**: `yunwei.web.export_jobs.build` of that job in a fresh process, as a Celery
   worker runs it — the rows written to var/exports (here a temporary folder) in write-only mode.

It reports each process's peak RSS (ru_maxrss) and wall time, the export's growth over the page's
baseline and its ratio to the in-memory baseline's growth, and the rows read back from the streamed file;
prints the figures and, as its last line, one JSON object. Exits non-zero when the streamed file does not
hold every row.
"""

import argparse
import datetime
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import migrate_empty, report, setup_django

SCALES = {"small": 10_000, "full": 100_000}
USERNAME = "bench-export-admin"
BATCH = 5_000


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # kB on Linux


def generate(n: int) -> None:
    from django.contrib.auth import get_user_model

    from yunwei.incidents.models import Incident
    from yunwei.org.choices import Role, UnitKind
    from yunwei.org.models import Person, RoleAssignment, Unit

    group = Unit.objects.create(code="bench-group", name="集团公司", kind=UnitKind.GROUP)
    unit = Unit.objects.create(code="bench-unit", name="第一单位", parent=group)
    user = get_user_model().objects.create_user(USERNAME, "", None)
    person = Person.objects.create(unit=group, name="基准管理员", account=user)
    RoleAssignment.objects.create(person=person, unit=group, role=Role.GROUP_ADMIN)
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    for start in range(0, n, BATCH):
        rows = []
        for k in range(start, min(n, start + BATCH)):
            moment = now - datetime.timedelta(minutes=n - k)
            rows.append(
                Incident(
                    unit=unit,
                    title=('=HYPERLINK("x")' if k % 1000 == 0 else f"第{k}号故障：协同办公系统登录缓慢"),
                    description="用户反映上午九点起登录页面打开缓慢，部分用户提交公文时提示超时。" * 3,
                    impact_scope="one_department",
                    started_at=moment,
                    reported_at=moment,
                    grade="III",
                    state="closed",
                    closed_at=moment + datetime.timedelta(hours=2),
                    restored_at=moment + datetime.timedelta(hours=1),
                    resolution_summary="重启应用服务器并清理会话缓存后恢复，已登记问题跟踪。",
                    cause_category="application",
                )
            )
        Incident.objects.bulk_create(rows)


# -- the measured processes -----------------------------------------------------------------------


def _client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(headers={"accept-language": "en"}, HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=USERNAME))
    return client


def child(kind: str) -> dict:
    """Run one measured act in this (fresh) process and return its figures."""
    setup_django_existing()
    started = time.perf_counter()
    figures = {}
    if kind == "page":
        response = _client().get("/incidents/")
        assert response.status_code == 200, response.status_code
        figures["bytes"] = len(response.content)
    elif kind == "memory":
        from openpyxl import Workbook

        from yunwei.incidents import exports
        from yunwei.incidents.models import Incident

        workbook = Workbook()
        sheet = workbook.active
        sheet.append(exports.headers())
        for row in exports.rows(Incident.objects.order_by("-reported_at", "-id")):
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        figures["bytes"] = buffer.tell()
    elif kind == "job-web":
        from django.conf import settings

        from yunwei.web import tasks

        tasks.build_export.delay = lambda pk: None  # the worker is the next process
        settings.EXPORT_JOB_ROWS = 1_000  # below either scale: the export becomes a job
        response = _client().get("/incidents/export/")
        assert response.status_code == 302, response.status_code
        figures["bytes"] = 0
    elif kind == "job-worker":
        from django.conf import settings

        from yunwei.web import export_jobs
        from yunwei.web.models import ExportJob

        settings.EXPORT_JOB_DIR = Path(os.environ["BENCH_EXPORT_FILE"]).parent / "jobs"
        job = export_jobs.build(ExportJob.objects.latest("pk").pk)
        assert job.state == "done", job.error
        shutil.copy(export_jobs.export_dir() / job.file_name, os.environ["BENCH_EXPORT_FILE"])
        figures["bytes"] = job.size
        figures["sha256"] = job.sha256
    else:
        from django.conf import settings

        settings.EXPORT_JOB_ROWS = 10**9  # the whole list streamed at once, as before export jobs
        response = _client().get("/incidents/export/")
        assert response.status_code == 200, response.status_code
        size = 0
        path = os.environ["BENCH_EXPORT_FILE"]
        with open(path, "wb") as out:
            for chunk in response.streaming_content:  # as a socket would send it: a chunk at a time
                out.write(chunk)
                size += len(chunk)
        response.close()
        figures["bytes"] = size
    figures["seconds"] = round(time.perf_counter() - started, 2)
    figures["peak_rss_mb"] = _peak_mb()
    return figures


def setup_django_existing() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunwei.settings")
    import django
    from django.conf import settings

    django.setup()
    # Pages render from the source folders, as in the tests: the collectstatic manifest is a deployment's.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def measure(kind: str, export_file: Path) -> dict:
    env = {**os.environ, "BENCH_EXPORT_FILE": str(export_file)}
    # This very script, by this interpreter: nothing from outside reaches the command line.
    done = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child", kind], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"the {kind} process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="small")
    parser.add_argument(
        "--child", choices=["page", "memory", "streamed", "job-web", "job-worker"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    setup_django()
    from yunwei.incidents.models import Incident

    migrate_empty(Incident, "incidents")
    n = SCALES[args.scale]
    started = time.perf_counter()
    generate(n)
    made = round(time.perf_counter() - started, 1)
    export_file = Path(tempfile.mkdtemp(prefix="yunwei-bench-export-")) / "incidents.xlsx"
    page = measure("page", export_file)
    memory = measure("memory", export_file)
    streamed = measure("streamed", export_file)

    from openpyxl import load_workbook

    def rows_in(path):
        sheet = load_workbook(path, read_only=True).active
        return sum(1 for _ in sheet.iter_rows(min_row=2, values_only=True))

    rows_read = rows_in(export_file)
    job_web = measure("job-web", export_file)
    job_worker = measure("job-worker", export_file)
    job_rows_read = rows_in(export_file)
    shutil.rmtree(export_file.parent, ignore_errors=True)
    growth_streamed = round(streamed["peak_rss_mb"] - page["peak_rss_mb"], 1)
    growth_memory = round(memory["peak_rss_mb"] - page["peak_rss_mb"], 1)
    figures = {
        "rows": n,
        "rows made in (s)": made,
        "baseline page: peak RSS (MB)": page["peak_rss_mb"],
        "baseline in memory: peak RSS (MB)": memory["peak_rss_mb"],
        "baseline in memory: time (s)": memory["seconds"],
        "streamed export: peak RSS (MB)": streamed["peak_rss_mb"],
        "streamed export: time (s)": streamed["seconds"],
        "streamed export: file (MB)": round(streamed["bytes"] / 1024 / 1024, 1),
        "streamed export: rows read back": rows_read,
        "export job, web side: peak RSS (MB)": job_web["peak_rss_mb"],
        "export job, web side: time (s)": job_web["seconds"],
        "export job, worker: peak RSS (MB)": job_worker["peak_rss_mb"],
        "export job, worker: time (s)": job_worker["seconds"],
        "export job: rows read back": job_rows_read,
        "growth over the page, job worker (MB)": round(job_worker["peak_rss_mb"] - page["peak_rss_mb"], 1),
        "growth over the page, streamed (MB)": growth_streamed,
        "growth over the page, in memory (MB)": growth_memory,
        "growth ratio streamed / in memory": round(growth_streamed / growth_memory, 3)
        if growth_memory
        else None,
    }
    report(figures, 40, {"benchmark": "exports", "scale": args.scale})
    if rows_read != n or job_rows_read != n:
        sys.exit(1)


if __name__ == "__main__":
    main()
