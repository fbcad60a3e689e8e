"""`yunwei createadmin <name>`: password never on the command line, audited, optionally a person."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from yunwei.audit import services as audit
from yunwei.audit.models import AuditEvent
from yunwei.org import services
from yunwei.org.choices import Role
from yunwei.org.models import Person

pytestmark = pytest.mark.django_db

PASSWORD = "first-admin-password-31"


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _run(*args, **options):
    out = io.StringIO()
    call_command("createadmin", *args, stdout=out, **options)
    return out.getvalue()


def test_password_from_the_environment_and_audited(monkeypatch):
    monkeypatch.setenv("YUNWEI_ADMIN_PASSWORD", PASSWORD)
    assert "root" in _run("root", email="root@example.cn")
    user = get_user_model().objects.get(username="root")
    assert user.is_superuser and user.check_password(PASSWORD)
    event = AuditEvent.objects.get(action="create", object_type="accounts.user", object_id=str(user.pk))
    assert event.actor_name == "system"
    assert event.after == {"username": "root", "is_superuser": True}
    assert "password" not in str(event.after)
    assert audit.seal() == 1  # as just after the command's commit
    assert audit.verify_chain() == audit.VerifyResult(ok=True, checked=1)


def test_password_is_asked_twice_in_a_terminal(monkeypatch):
    monkeypatch.delenv("YUNWEI_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", _Terminal())
    prompts = []

    def answer(prompt=""):
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.setattr("getpass.getpass", answer)
    _run("root")
    assert prompts == ["Password: ", "Password (again): "]
    assert get_user_model().objects.get(username="root").check_password(PASSWORD)


def test_differing_entries_create_nothing(monkeypatch):
    monkeypatch.delenv("YUNWEI_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", _Terminal())
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="password"):
        _run("root")
    assert not get_user_model().objects.exists()


def test_without_a_terminal_or_variable_it_refuses(monkeypatch):
    monkeypatch.delenv("YUNWEI_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="YUNWEI_ADMIN_PASSWORD"):
        _run("root")


def test_the_password_is_not_an_option():
    with pytest.raises(CommandError):
        _run("root", "--password", PASSWORD)


def test_name_is_required():
    with pytest.raises(CommandError, match="username"):
        _run()


def test_weak_password_and_taken_name_are_named(monkeypatch, unit_user_a):
    monkeypatch.setenv("YUNWEI_ADMIN_PASSWORD", "123")
    with pytest.raises(CommandError, match="^password"):
        _run("root")
    monkeypatch.setenv("YUNWEI_ADMIN_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="^username"):
        _run("A-User")


def test_name_adds_a_group_admin_person(monkeypatch, group):
    monkeypatch.setenv("YUNWEI_ADMIN_PASSWORD", PASSWORD)
    _run("root", name="张三")
    person = Person.objects.get(account__username="root")
    assert (person.name, person.unit) == ("张三", group)
    assert person.role_assignments.filter(role=Role.GROUP_ADMIN, unit=group).exists()
    assert person.account.access.unit_id == group.pk


def test_the_first_admins_role_is_granted_by_the_system_not_by_himself(monkeypatch, group, unit_a):
    """Art. 10, 18: nobody grants themselves a role; on a fresh install the system grants the first one,
    and that admin then hands out the roles that approve."""
    monkeypatch.setenv("YUNWEI_ADMIN_PASSWORD", PASSWORD)
    _run("root", name="张三")
    root = get_user_model().objects.get(username="root")
    role = root.person.role_assignments.get(role=Role.GROUP_ADMIN)
    assert role.granted_by is None and services.granter_id(role) is None
    event = AuditEvent.objects.get(action="create", object_type="org.roleassignment", object_id=str(role.pk))
    assert (event.actor_name, event.comment) == ("system", "createadmin")
    assert not services.self_granted(root, Role.GROUP_ADMIN, [group.pk])
    leader = services.create(Person, actor=root, unit=unit_a, name="甲领导")
    assert services.assign_role(leader, Role.LEADER, actor=root).granted_by == root


def test_person_links_an_existing_person(monkeypatch, unit_a, group_admin):
    person = services.create(Person, actor=group_admin, unit=unit_a, name="李四", email="li@example.cn")
    monkeypatch.setenv("YUNWEI_ADMIN_PASSWORD", PASSWORD)
    _run("li", person=person.pk)
    person.refresh_from_db()
    assert person.account.username == "li"
    assert person.account.email == "li@example.cn"
    assert AuditEvent.objects.filter(
        action="update", object_type="org.person", object_id=str(person.pk)
    ).exists()
    with pytest.raises(CommandError, match="person"):
        _run("li2", person=person.pk)
