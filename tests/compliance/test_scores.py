"""The score rules, each figure computed here independently: (met + ½ × partly met) ÷ applicable, a
"not applicable" only once a group admin approves it, the group's duties counted for the units it
serves without copying, per article and with its trend."""

from decimal import Decimal

import pytest
from django.utils import timezone

from yunwei.compliance import scores, services
from yunwei.compliance.models import Result

from .conftest import MONTH, NOW

pytestmark = pytest.mark.django_db


def _result(unit, duty, outcome, *, article=12, month=MONTH, carried_by="unit") -> Result:
    return Result.objects.create(
        unit=unit,
        month=month,
        article=article,
        duty=duty,
        duty_version=1,
        carried_by=carried_by,
        judged=outcome,
        outcome=outcome,
        judged_at=NOW,
    )


def test_partly_met_counts_half(unit_a):
    _result(unit_a, "d1", "met")
    _result(unit_a, "d2", "partly_met")
    _result(unit_a, "d3", "not_met")
    _result(unit_a, "d4", "partly_met")
    expected = (Decimal(1) + Decimal("0.5") * 2) / 4
    assert scores.score(unit_a, MONTH).value == expected == Decimal("0.5")
    assert scores.score(unit_a, MONTH).percent == 50


def test_not_applicable_counts_only_once_approved_by_a_group_admin(unit_a, unit_admin_a, group_admin):
    _result(unit_a, "d1", "met")
    _result(unit_a, "d2", "partly_met")
    missing = _result(unit_a, "d3", "not_met")
    before = scores.score(unit_a, MONTH)
    assert before.value == Decimal("1.5") / 3

    exemption = services.request_exemption(missing, actor=unit_admin_a, reason="本单位无此系统")
    assert scores.score(unit_a, MONTH).value == before.value  # asked for, not granted: no change

    services.decide_exemption(exemption, actor=group_admin, approve=True)
    after = scores.score(unit_a, MONTH)
    assert (after.applicable, after.not_applicable) == (2, 1)
    assert after.value == Decimal("1.5") / 2


def test_a_duty_the_group_carries_out_counts_for_each_unit_it_serves_without_a_copy(group, unit_a, unit_b):
    _result(group, "art3-group-indicators", "not_met", article=3, carried_by="group")
    _result(unit_a, "d1", "met", article=3)
    _result(unit_b, "d1", "met", article=3)
    _result(unit_b, "d2", "met", article=12)
    table = scores.score_table([group, unit_a, unit_b], [MONTH])
    assert table[(unit_a.pk, MONTH, None)].value == Decimal(1) / 2
    assert table[(unit_a.pk, MONTH, 3)].value == Decimal(1) / 2
    assert table[(unit_b.pk, MONTH, None)].value == Decimal(2) / 3
    assert table[(unit_b.pk, MONTH, 12)].value == Decimal(1)
    assert table[(group.pk, MONTH, None)].value == Decimal(0)
    # Judged once, on the group: nothing was written for the units it serves.
    assert Result.objects.filter(duty="art3-group-indicators").count() == 1


def test_each_article_has_its_own_score_and_the_trend_reads_each_month(unit_a):
    _result(unit_a, "d1", "met", article=3, month="2026-09")
    _result(unit_a, "d1", "not_met", article=3)
    _result(unit_a, "d2", "met", article=12)
    months = services.months_back(MONTH, 3)
    assert months == ["2026-08", "2026-09", "2026-10"]
    table = scores.score_table([unit_a], months)
    assert table[(unit_a.pk, MONTH, 3)].value == 0
    assert table[(unit_a.pk, MONTH, 12)].value == 1
    assert [table.get((unit_a.pk, m, None), scores.Score()).percent for m in months] == [None, 100, 50]


def test_a_month_with_nothing_applicable_has_no_score(unit_a):
    assert scores.score(unit_a, MONTH).value is None
    assert scores.score(unit_a, timezone.now().strftime("%Y-%m")).percent is None
