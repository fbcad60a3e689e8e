"""Named personas shared by every test: a group admin, unit admins of two units, a unit user."""

import datetime
import os
from pathlib import Path

import hypothesis
import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from rest_framework.test import APIClient

from yunwei.celery import app as celery_app
from yunwei.org import services
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import MaintenanceContract, Person, Team, Unit, Vendor, VendorEngineer

from .product import running_product

PASSWORD = "correct-horse-battery-9"

# The machine running the suite is shared: how long an example takes proves nothing (no timing
# assertions), so neither a deadline nor the "too slow" health check may fail a test.
hypothesis.settings.register_profile(
    "yunwei", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("yunwei")


def pytest_configure(config):
    # WhiteNoise warns about a missing static root; a clean clone has none until collectstatic runs.
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "live_server", "module_db"}
)


def _uses_the_database(item) -> bool:
    # pytest-django refuses database access to a test without one of these, so the rest cannot touch it.
    return bool(
        item.get_closest_marker("django_db")
        or item.get_closest_marker("scale")
        or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def _flushes_the_database(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(
        (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
        or {"transactional_db", "live_server", "django_db_reset_sequences"}
        & set(getattr(item, "fixturenames", ()))
    )


def _flushes_without_reloading(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"))


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups off the items
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`-n`), the tests that start the real product share one worker, so the
    product and its demo load start once per run rather than once per worker.

    With YUNWEI_TESTS_DATABASE_ONLY=1 (CI's second database), the tests that never reach the database
    are left out: they ran with the first, and a second database cannot change what they prove."""
    unserialized = [item.nodeid for item in items if _flushes_without_reloading(item)]
    if unserialized:
        raise pytest.UsageError(
            "A committed test must reload what the migrations shipped after its flush, or the next one's "
            "reload meets the content types the flush put back: add serialized_rollback=True to "
            + ", ".join(unserialized)
        )
    for item in items:
        if _flushes_the_database(item):
            # A committed test empties the tables at its end, seeded rows too: so after every plain
            # database test of its worker, as in one process, where pytest-django orders them last.
            item.add_marker(pytest.mark.xdist_group("committed"))
        elif item.path.name == "test_fuzz.py":
            # The fuzzer starts a product of its own: beside the shared one, on the other worker.
            item.add_marker(pytest.mark.xdist_group("fuzz"))
        elif any(item.get_closest_marker(name) for name in ("browser", "e2e", "scale")):
            item.add_marker(pytest.mark.xdist_group("product"))
        elif "module_db" in getattr(item, "fixturenames", ()):
            # A module that loads once for all its tests keeps them on one worker, so it loads once.
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    if os.environ.get("YUNWEI_TESTS_DATABASE_ONLY") == "1":
        database_free = [item for item in items if not _uses_the_database(item)]
        if database_free:
            config.hook.pytest_deselected(items=database_free)
            items[:] = [item for item in items if _uses_the_database(item)]


GROUPS_LOST = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)  # after pytest-xdist wrote the groups into the node ids
def pytest_collection_finish(session):
    """A run under `--dist loadgroup` whose groups did not take fails every test (below): the tests of a
    shared load would be spread over the workers and each would make the load again. (An error raised in a
    worker's collection reaches the terminal without its message.)"""
    if os.environ.get("PYTEST_XDIST_WORKER") and session.config.getvalue("loadgroup"):
        grouped = [item.nodeid for item in session.items if item.get_closest_marker("xdist_group")]
        session.config.stash[GROUPS_LOST] = any("@" not in nodeid.rpartition("]")[2] for nodeid in grouped)


def pytest_runtest_setup(item):
    if item.config.stash.get(GROUPS_LOST, False):
        pytest.fail("pytest-xdist's `--dist loadgroup` did not take (pytest-xdist#1386): see the pytest pin.")


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings):
    """Pages render from the source folders; the manifest of collectstatic belongs to a deployment."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True, scope="session")
def _audit_anchors_in_a_temporary_folder(tmp_path_factory):
    """Heads written outside the database go to the test run's own folder, never to the checkout's var/;
    a test that writes anchors points the setting at its own file."""
    django_settings.AUDIT_ANCHOR_FILE = tmp_path_factory.mktemp("audit") / "anchors.jsonl"


MD5_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """One transaction around a module's tests, rolled back at its end: an expensive load (the demo) is
    made once per module, and each test still runs in its own savepoint inside it, so what one test
    changes is gone before the next. For modules whose tests only read what the load made."""
    from django.db import transaction
    from django.test import override_settings

    # The function-scoped settings of the autouse fixtures are not in force yet: the fast hasher here too.
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[MD5_HASHER]):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Personas' passwords are hashed many times; the real hasher's cost is not under test."""
    settings.PASSWORD_HASHERS = [MD5_HASHER]


@pytest.fixture(autouse=True)
def _eager_tasks():
    """Tasks run in-process in tests; the scale-mode test exercises a real broker and worker."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _committed_audit_events_cleared(request):
    """A committed (transactional) test may leave audit events behind — an incident that monitoring
    opened is audited as any other — and the flush after it meets SQLite's append-only triggers. Before
    that flush, the events are deleted with the triggers lifted and put back: the one path outside a
    migration that deletes audit events, for a test database only. (PostgreSQL's flush truncates, which
    its trigger allows.)"""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # set up first, so its flush runs after this teardown
    yield
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        cursor.execute("DELETE FROM audit_auditevent")
        cursor.execute(
            "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
        )


def make_user(username: str, unit: Unit | None, *roles: str, superuser: bool = False, name: str = ""):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user = (User.objects.create_superuser if superuser else User.objects.create_user)(username, "", PASSWORD)
    if unit is not None:
        person = Person.objects.create(
            unit=unit,
            name=name or username,
            account=user,
            phone="13812345678",
            email=f"{username}@example.cn",
        )
        for role in roles:
            person.role_assignments.create(unit=unit, role=role)
    return user


def make_item(unit: Unit, type_code: str, code: str, *, actor, **fields):
    """An inventory item of the shipped type `type_code`, made through the inventory's service."""
    from yunwei.cmdb import services as cmdb
    from yunwei.cmdb.models import Item, ItemType

    fields.setdefault("name", code)
    return cmdb.create(
        Item, actor=actor, unit=unit, type=ItemType.objects.get(code=type_code), code=code, **fields
    )


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory) -> Path:
    """A folder of this test run that every pytest-xdist worker shares (its workers' folders sit in it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def product_url(tmp_path_factory, run_folder):
    """A running Yunwei with the demo group, shared by the end-to-end tests of a session."""
    with running_product(tmp_path_factory.mktemp("yunwei-product"), run_folder) as url:
        yield url


def make_group() -> Unit:
    return Unit.objects.create(code="group", name="集团公司", kind=UnitKind.GROUP)


def make_unit_a(group: Unit) -> Unit:
    return Unit.objects.create(code="unit-a", name="甲单位", parent=group)


def make_unit_b(group: Unit) -> Unit:
    return Unit.objects.create(code="unit-b", name="乙单位", parent=group)


def make_team_a(unit_a: Unit, *, actor) -> Team:
    return services.create(Team, actor=actor, unit=unit_a, code="ops", name="运维班", domains=["network"])


@pytest.fixture
def group(db) -> Unit:
    return make_group()


@pytest.fixture
def unit_a(group) -> Unit:
    return make_unit_a(group)


@pytest.fixture
def unit_b(group) -> Unit:
    return make_unit_b(group)


@pytest.fixture
def group_admin(group):
    return make_user("group-admin", group, Role.GROUP_ADMIN)


@pytest.fixture
def unit_admin_a(unit_a):
    return make_user("a-admin", unit_a, Role.UNIT_ADMIN)


@pytest.fixture
def unit_admin_b(unit_b):
    return make_user("b-admin", unit_b, Role.UNIT_ADMIN)


@pytest.fixture
def unit_user_a(unit_a):
    return make_user("a-user", unit_a, Role.USER)


@pytest.fixture
def team_a(unit_a, group_admin) -> Team:
    return make_team_a(unit_a, actor=group_admin)


@pytest.fixture
def api_client_for():
    """An API client authenticated as the given user (session-less: force_authenticate)."""

    def build(user) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return build


def build_org_records(unit: Unit, team: Team, *, actor) -> dict:
    """One organisation record of every kind in `unit`, created through the services."""
    person = services.create(
        Person,
        actor=actor,
        unit=unit,
        name="甲某某",
        phone="13900000001",
        email="jia@example.cn",
        team=team,
    )
    role = services.assign_role(person, "clerk", actor=actor)
    vendor = services.create(Vendor, actor=actor, unit=unit, code="jia-vendor", name="甲厂家")
    engineer = services.create(
        VendorEngineer, actor=actor, vendor=vendor, name="甲工程师", phone="13900000002"
    )
    today = timezone.localdate()
    contract = services.create(
        MaintenanceContract,
        actor=actor,
        unit=unit,
        vendor=vendor,
        number="A-001",
        title="甲合同",
        engineer=engineer,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=30),
    )
    return {
        "unit": unit,
        "team": team,
        "person": person,
        "role": role,
        "vendor": vendor,
        "engineer": engineer,
        "contract": contract,
    }


@pytest.fixture
def org_records_a(unit_a, group_admin, team_a) -> dict:
    """One organisation record of every kind in unit A, created through the services."""
    return build_org_records(unit_a, team_a, actor=group_admin)


def end_backend(settings: dict, backend: int) -> None:
    """End the PostgreSQL backend `backend` (a connection's `pg_backend_pid()`) of the database that
    `settings` (a connection's `settings_dict`) names, from a connection of its own, as a restart of
    PostgreSQL would: the next query on that connection fails."""
    import psycopg

    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend])
