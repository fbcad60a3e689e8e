import re

from django.db import migrations
from django.utils import timezone

# A problem's code as the problem database writes it: PRB000012 (also read as PRB12 or PRB-12).
CODE = re.compile(r"\bPRB-?(\d{1,9})\b", re.IGNORECASE)


def refs_to_links(apps, schema_editor):
    """Turn each incident's free-text problem reference into a link to the problem it names (Art. 14):
    a code of an existing problem of the incident's unit becomes a link, written on the problem's
    timeline. A reference naming no such problem is kept as words in the incident's resolution summary,
    so nothing that was written is lost when the field goes."""
    Incident = apps.get_model("incidents", "Incident")
    Problem = apps.get_model("problems", "Problem")
    ProblemEvent = apps.get_model("problems", "ProblemEvent")
    now = timezone.now()
    for incident in Incident.objects.exclude(problem_ref="").iterator():
        ref = incident.problem_ref.strip()
        linked = False
        for match in CODE.finditer(ref):
            problem = Problem.objects.filter(pk=int(match.group(1)), unit_id=incident.unit_id).first()
            if problem is None:
                continue
            linked = True
            if problem.incidents.filter(pk=incident.pk).exists():
                continue
            problem.incidents.add(incident)
            ProblemEvent.objects.create(
                problem=problem,
                at=now,
                kind="incident_linked",
                comment=ref,
                data={"incident": incident.pk, "code": f"INC{incident.pk:06d}", "from_reference": ref},
            )
        if not linked and ref:
            summary = incident.resolution_summary.rstrip()
            incident.resolution_summary = f"{summary}\n问题记录：{ref}" if summary else f"问题记录：{ref}"
            incident.save(update_fields=["resolution_summary"])


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0001_initial"),
        ("incidents", "0008_shipped_emergency_plans"),
    ]
    # The field it reads goes in incidents' next migration; fault handling does not depend on problems.
    run_before = [("incidents", "0009_remove_problem_ref")]

    operations = [migrations.RunPython(refs_to_links, migrations.RunPython.noop)]
