"""The dashboard shows last month per unit: its logs' gaps and its review, overdue once past its day."""

import pytest
from django.urls import reverse

from .conftest import FEBRUARY, sign_month

pytestmark = pytest.mark.django_db


def test_an_unsigned_month_past_its_day_shows_overdue_on_the_dashboard(
    client, unit_a, unit_b, lead, unit_admin_a
):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(lead)
    page = client.get(reverse("web:dashboard")).content.decode()
    assert "Log books of 2026-02 (to sign by 2026-03-10)" in page
    assert page.count('data-testid="review-overdue"') == 3  # the group and both units
    sign_month(unit_a, FEBRUARY, lead)
    page = client.get(reverse("web:dashboard")).content.decode()
    assert page.count('data-testid="review-overdue"') == 2


def test_a_unit_admin_sees_only_their_units_month(client, unit_a, unit_b, unit_admin_a):
    client.force_login(unit_admin_a)
    page = client.get(reverse("web:dashboard")).content.decode()
    assert 'data-testid="logbook-unit-a"' in page
    assert 'data-testid="logbook-unit-b"' not in page and unit_b.name not in page
