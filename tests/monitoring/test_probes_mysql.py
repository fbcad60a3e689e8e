"""The MySQL/MariaDB log-in probe against the MariaDB this machine runs on 127.0.0.1:3306 (root without a
password; the test creates its own user with a password); the cases that need it skip, saying why, when
it is not there."""

import secrets
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


mariadb = pytest.mark.skipif(not _listening(3306), reason="no MariaDB/MySQL on 127.0.0.1:3306")


def login(kind, **fields):
    return run(probes.run({"type": kind, "host": "127.0.0.1", "timeout": 3, **fields}))


@pytest.fixture
def mysql_user():
    """A user with a password, created for the test and dropped after it."""
    import pymysql

    name, password = f"yw_probe_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    try:
        with admin.cursor() as cursor:
            cursor.execute("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (name, password))
            cursor.execute("CREATE USER %s@'localhost' IDENTIFIED BY %s", (name, password))
        yield name, password
    finally:
        with admin.cursor() as cursor:
            cursor.execute("DROP USER IF EXISTS %s@'127.0.0.1'", (name,))
            cursor.execute("DROP USER IF EXISTS %s@'localhost'", (name,))
        admin.close()


@mariadb
def test_mysql_log_in_is_up_with_the_server_version(mysql_user):
    name, password = mysql_user
    result = login("mysql", user=name, password=password)
    assert result.status == "up", result.reason
    assert result.method == "mysql"
    assert result.reason == f"logged in as {name}"
    assert result.details["server_version"]


@mariadb
def test_mysql_with_a_wrong_password_is_down_naming_authentication(mysql_user):
    name, _ = mysql_user
    result = login("mysql", user=name, password="not-the-password")
    assert result.status == "down"
    assert result.reason.startswith(
        "authentication refused by MySQL at 127.0.0.1:3306: Access denied for user"
    )
    assert name in result.reason


@mariadb
def test_mysql_with_an_unknown_database_is_down_naming_it():
    result = login("mysql", user="root", database="yunwei_no_such_db")
    assert result.status == "down"
    assert result.reason == "MySQL at 127.0.0.1:3306: Unknown database 'yunwei_no_such_db'"


def test_mysql_on_a_closed_port_is_down_refused():
    port = closed_port()
    result = login("mysql", port=port, user="root")
    assert result.status == "down"
    assert result.reason == f"connection to 127.0.0.1:{port} refused"


def test_a_log_in_check_without_a_user_is_unknown_naming_the_field():
    result = login("mysql")
    assert result.status == "unknown"
    assert result.reason == "invalid check: the spec has no 'user'"
