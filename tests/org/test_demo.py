"""The demo password comes from YUNWEI_DEMO_PASSWORD (what the demo loads is read in tests/test_demo.py)."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(databases=[])
@pytest.mark.parametrize(
    ("environ", "expected"), [({}, "yunwei-demo"), ({"YUNWEI_DEMO_PASSWORD": "x-9"}, "x-9")]
)
def test_the_demo_password_comes_from_yunwei_demo_password(environ, expected, monkeypatch):
    monkeypatch.delenv("YUNWEI_DEMO_PASSWORD", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEMO_PASSWORD)"
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "yunwei.settings"},
    )
    assert result.stdout.strip() == expected
