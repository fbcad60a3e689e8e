"""Benchmark: the monthly analysis report (Art. 6) — one unit's .docx and .pdf, and the group's report in
the background with its progress.

    python bench/reports.py --scale small|full

Generates the group, its 12 units and their incidents exactly as bench/incidents.py does (full: 1,000,000;
small: 20,000, over two years), in its own database — `YUNWEI_DATABASE_URL` when set (an empty database of
its own; the full figures are meant for PostgreSQL), else a temporary SQLite file.

1. **One unit, a year of data**: the busiest unit's report of the last whole month (its figures read over
   the month and the 12-month trend), generated once; then its .docx (with its chart pictures) and its .pdf
   rendered SAMPLES times each from the stored figures. Target: p95 < 10 s each.
   **Baseline** (the same run, the same figures): python-docx writing the same tables as plain rows, no
   cover, contents, fonts or charts — the least a .docx of these figures costs.
2. **The group's report**: generated as the worker generates it (`services.execute`) in a background
   thread, figures and all three files, while this thread reads its progress from its row every second
   and prints it, as the page shows it. Target (full scale): under 2 minutes. Baseline: one grouped count
   of the month's incidents per unit.

Prints the figures and, as its last line, one JSON object.
"""

import argparse
import random
import threading
import time

from common import migrate_empty, ms, p95, report, setup_django
from incidents import SCALES, generate

SAMPLES = 5


def plain_docx(doc) -> bytes:
    """The baseline: the document's tables written as plain rows by python-docx."""
    import io

    from docx import Document

    from yunwei.reports.document import Table

    word = Document()

    def walk(sections):
        for section in sections:
            word.add_paragraph(section.title)
            for block in section.blocks:
                if isinstance(block, Table):
                    table = word.add_table(rows=1, cols=len(block.columns))
                    for cell, column in zip(table.rows[0].cells, block.columns, strict=True):
                        cell.text = column.title
                    for row in block.rows:
                        for cell, value in zip(table.add_row().cells, row, strict=True):
                            cell.text = "" if value is None else str(value)
            walk(section.sections)

    walk(doc.sections)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def one_unit(unit, month, actor) -> dict:
    from yunwei.reports import build, services
    from yunwei.reports.models import Report
    from yunwei.reports.render import render_docx, render_pdf

    report = services.open_report(unit, month, actor=actor)
    services.request_generation(report, actor=actor, queue=False)
    began = time.perf_counter()
    outcome = services.execute(report.pk, render_files=False)
    figures_s = time.perf_counter() - began
    report = Report.objects.get(pk=report.pk)
    assert outcome == "done", (outcome, report.failure)
    doc = build.document(report)
    docx, pdf, base, warnings, sizes = [], [], [], [], {}
    for _ in range(SAMPLES):
        began = time.perf_counter()
        plain_docx(doc)
        base.append(time.perf_counter() - began)
        began = time.perf_counter()
        sizes["docx"] = len(render_docx(doc))
        docx.append(time.perf_counter() - began)
        began = time.perf_counter()
        content, warnings = render_pdf(doc)
        sizes["pdf"] = len(content)
        pdf.append(time.perf_counter() - began)
    return {
        "unit_month": f"{month:%Y-%m}",
        "unit_incidents_in_month": report.figures["incidents"]["total"],
        "unit_figures_s": round(figures_s, 2),
        "docx_p95_ms": ms(p95(docx)),
        "pdf_p95_ms": ms(p95(pdf)),
        "docx_target_p95_ms": 10_000,
        "pdf_target_p95_ms": 10_000,
        "docx_baseline_p95_ms": ms(p95(base)),
        "docx_ratio": round(p95(docx) / max(p95(base), 1e-9), 1),
        "pdf_ratio": round(p95(pdf) / max(p95(base), 1e-9), 1),
        "docx_bytes": sizes["docx"],
        "pdf_bytes": sizes["pdf"],
        "pdf_warnings": len(warnings),
    }


def group_report(month, actor) -> dict:
    from django.db import connection
    from django.db.models import Count

    from yunwei.incidents.models import Incident
    from yunwei.logbook.facts import month_bounds
    from yunwei.reports import services
    from yunwei.reports.models import Report

    start, end = month_bounds(month)
    began = time.perf_counter()
    list(
        Incident.objects.filter(reported_at__gte=start, reported_at__lt=end)
        .order_by()
        .values_list("unit_id")
        .annotate(n=Count("pk"))
    )
    base = time.perf_counter() - began
    report = services.open_report(None, month, actor=actor)
    services.request_generation(report, actor=actor, queue=False)
    outcome = []

    def worker():
        try:
            outcome.append(services.execute(report.pk))
        finally:
            connection.close()

    began = time.perf_counter()
    thread = threading.Thread(target=worker)
    thread.start()
    while thread.is_alive():
        thread.join(1.0)
        row = Report.objects.filter(pk=report.pk).values("progress", "step").get()
        print(f"  {time.perf_counter() - began:6.1f} s  {row['progress']:3d}%  {row['step']}", flush=True)
    elapsed = time.perf_counter() - began
    done = Report.objects.get(pk=report.pk)
    return {
        "group_s": round(elapsed, 1),
        "group_target_s": 120,
        "group_outcome": outcome[0] if outcome else "none",
        "group_failure": done.failure,
        "group_incidents_in_month": done.figures.get("incidents", {}).get("total") if done.figures else None,
        "group_baseline_s": round(base, 3),
        "group_ratio": round(elapsed / max(base, 1e-9), 1),
        "group_files": done.files.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    setup_django()
    import datetime

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from yunwei.incidents.models import Incident
    from yunwei.org.models import Unit

    settings.MEDIA_ROOT = settings.VAR_DIR / "media"
    migrate_empty(Incident, "incidents")
    began = time.perf_counter()
    data = generate(SCALES[args.scale], random.Random(args.seed))
    took = time.perf_counter() - began
    print(f"generated {data['incidents']} incidents in {took:.1f} s ({connection.vendor})", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    admin = get_user_model().objects.get(pk=data["group_admin_id"])
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    busiest = (
        Incident.objects.order_by()
        .values("unit_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["unit_id"]
    )
    figures = {"backend": connection.vendor, "scale": args.scale}
    figures.update(one_unit(Unit.objects.get(pk=busiest), month, admin))
    figures.update(group_report(month, admin))
    report(figures, 26, {"benchmark": "reports"})


if __name__ == "__main__":
    main()
