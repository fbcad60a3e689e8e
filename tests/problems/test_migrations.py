"""The free-text problem references of closed incidents become links to the problems they name (problems'
migration 0002, run before incidents' 0009 removes the field)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("incidents", "0008_shipped_emergency_plans"), ("problems", "0001_initial")]
AFTER = [("incidents", "0009_remove_problem_ref"), ("problems", "0002_problem_refs_to_links")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reference_naming_a_real_problem_becomes_a_link_and_others_are_kept_as_words():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Unit = apps.get_model("org", "Unit")
    Incident = apps.get_model("incidents", "Incident")
    Problem = apps.get_model("problems", "Problem")
    now = timezone.now()
    unit = Unit.objects.create(code="JIA", name="甲单位", kind="unit")
    other = Unit.objects.create(code="YI", name="乙单位", kind="unit")
    problem = Problem.objects.create(unit=unit, title="根因", registered_at=now)
    foreign = Problem.objects.create(unit=other, title="乙的问题", registered_at=now)

    def incident(ref):
        return Incident.objects.create(
            unit=unit,
            title="故障",
            started_at=now,
            reported_at=now,
            grade="III",
            state="closed",
            fixed_for_good=False,
            resolution_summary="重启",
            problem_ref=ref,
        )

    real = incident(f"PRB{problem.pk:06d}")
    made_up = incident("PRB-DEMO-7")
    other_unit = incident(f"PRB{foreign.pk:06d}")
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Incident = apps.get_model("incidents", "Incident")
    Problem = apps.get_model("problems", "Problem")
    assert list(Problem.objects.get(pk=problem.pk).incidents.values_list("pk", flat=True)) == [real.pk]
    assert not Problem.objects.get(pk=foreign.pk).incidents.exists()
    assert Incident.objects.get(pk=made_up.pk).resolution_summary == "重启\n问题记录：PRB-DEMO-7"
    assert "问题记录" in Incident.objects.get(pk=other_unit.pk).resolution_summary
    assert Incident.objects.get(pk=real.pk).resolution_summary == "重启"
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
