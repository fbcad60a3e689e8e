"""The PostgreSQL log-in probe against the server this machine runs on 127.0.0.1:5432 (user postgres,
trust authentication); the cases that need it skip, saying why, when it is not there."""

import socket

import pytest

from yunwei.monitoring import probes

from .targets import closed_port, run


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


postgres = pytest.mark.skipif(not _listening(5432), reason="no PostgreSQL on 127.0.0.1:5432")


def login(kind, **fields):
    return run(probes.run({"type": kind, "host": "127.0.0.1", "timeout": 3, **fields}))


@postgres
def test_postgresql_log_in_is_up_with_the_server_version():
    result = login("postgresql", user="postgres", database="postgres")
    assert result.status == "up", result.reason
    assert result.method == "postgresql"
    assert result.reason == "logged in as postgres"
    assert result.details["server_version"].startswith("PostgreSQL")
    assert result.latency_ms > 0


@postgres
def test_postgresql_refuses_a_role_that_does_not_exist_as_authentication():
    result = login("postgresql", user="yunwei_no_such_role", database="postgres")
    assert result.status == "down"
    assert result.reason == (
        'authentication refused by PostgreSQL at 127.0.0.1:5432: role "yunwei_no_such_role" does not exist'
    )


@postgres
def test_postgresql_with_a_wrong_database_name_is_down_naming_it():
    result = login("postgresql", user="postgres", database="yunwei_no_such_db")
    assert result.status == "down"
    assert result.reason == 'PostgreSQL at 127.0.0.1:5432: database "yunwei_no_such_db" does not exist'


def test_postgresql_on_a_closed_port_is_down_refused():
    port = closed_port()
    result = login("postgresql", port=port, user="postgres")
    assert result.status == "down"
    assert result.method == "postgresql"
    assert "refused" in result.reason.lower(), result.reason
