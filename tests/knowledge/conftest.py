import pytest

from yunwei.org.choices import Role

from ..conftest import make_user


@pytest.fixture
def unit_user_b(unit_b):
    return make_user("b-user", unit_b, Role.USER)
