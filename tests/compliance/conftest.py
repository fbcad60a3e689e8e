"""Shared pieces of the compliance tests: a month that has ended, the moment of judging, and a helper
that judges one duty for some units through the service."""

import datetime

import pytest

from yunwei.compliance import registry, services
from yunwei.compliance.models import Result

MONTH = "2026-10"
IN_MONTH = datetime.datetime(2026, 10, 10, 2, 0, tzinfo=datetime.UTC)
NOW = datetime.datetime(2026, 12, 1, 4, 0, tzinfo=datetime.UTC)


def judge(code: str, *units, month: str = MONTH, now=NOW) -> Result:
    """Judge one duty for `units` and answer the first unit's result."""
    written = services.judge(registry.BY_CODE[code], month, list(units), now=now)
    return next(r for r in written if r.unit_id == units[0].pk)


@pytest.fixture(autouse=True)
def _site_in_english(settings):
    """Findings are written in the site's language; these tests read them in English."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def findings():
    def of(result: Result) -> list[tuple[str, int, str]]:
        return [(f.object_type, f.object_id, f.detail) for f in result.findings.order_by("id")]

    return of
