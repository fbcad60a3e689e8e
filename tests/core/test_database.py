"""The database connection a web process keeps between requests."""

import pytest
from django.db import close_old_connections, connection

from tests.conftest import end_backend

HEARTBEAT_URL = "/api/system/heartbeat/"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_kept_connection_that_broke_while_idle_is_replaced_at_the_next_request(group_admin, api_client_for):
    """PostgreSQL restarted between two requests ends every kept connection: the next request opens a
    new one (CONN_HEALTH_CHECKS) instead of failing on the dead one with a 500."""
    if connection.vendor != "postgresql":
        pytest.skip("ends the connection with PostgreSQL's pg_terminate_backend (SQLite keeps none)")
    client = api_client_for(group_admin)
    assert client.get(HEARTBEAT_URL).status_code == 200
    assert connection.connection is not None, "the connection is kept between requests (CONN_MAX_AGE)"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    end_backend(connection.settings_dict, backend)

    close_old_connections()  # what the start of each request does (the test client leaves it out)
    assert client.get(HEARTBEAT_URL).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != backend
