"""A compliance run whose task was lost (the broker away when it was queued, issue 27) is queued again
by the sweep past REQUEUE_AFTER, not before, and judged once."""

import datetime

import pytest
import time_machine

from yunwei.compliance import services, tasks
from yunwei.compliance.models import ComplianceRun, Result

from .conftest import MONTH, NOW

pytestmark = pytest.mark.django_db


def test_a_run_whose_task_was_lost_is_queued_again_past_the_grace_and_judged_once(unit_a, group_admin):
    with time_machine.travel(NOW, tick=False) as clock:
        run = services.start_run(MONTH, actor=group_admin, unit=unit_a)  # its on_commit task never runs
        clock.shift(datetime.timedelta(minutes=1))
        assert tasks.requeue_compliance_runs() == 0
        assert ComplianceRun.objects.get(pk=run.pk).state == "queued"
        clock.shift(datetime.timedelta(minutes=2))
        assert tasks.requeue_compliance_runs() == 1  # eager: judged here
        run.refresh_from_db()
        assert (run.state, run.steps_done) == ("done", run.steps_total)
        judged = {(r.pk, r.run_id, r.judged_at) for r in Result.objects.all()}
        assert judged
        clock.shift(datetime.timedelta(minutes=2))
        assert tasks.requeue_compliance_runs() == 0
        assert tasks.run_compliance(run.pk) is False  # the original, arriving late
    assert ComplianceRun.objects.get(pk=run.pk).finished_at == run.finished_at
    assert {(r.pk, r.run_id, r.judged_at) for r in Result.objects.all()} == judged
