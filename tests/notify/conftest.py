"""Real local servers for the channels: pytest-httpserver for robots and webhooks, aiosmtpd for mail."""

import socket

import pytest
from aiosmtpd.controller import Controller

from yunwei.notify import services
from yunwei.notify.models import Channel


@pytest.fixture(scope="session")
def httpserver_listen_address():
    # An address, not "localhost": the allow-list names 127.0.0.1 and nothing else.
    return ("127.0.0.1", 0)


@pytest.fixture
def allow_loopback(group_admin):
    return services.allow_address("127.0.0.1", actor=group_admin, note="tests")


@pytest.fixture
def make_channel(allow_loopback, group_admin, unit_a):
    def build(kind: str, target, *, secret: str = "", unit=None, name: str = "") -> Channel:
        return services.create(
            Channel,
            actor=group_admin,
            unit_id=(unit or unit_a).pk,
            name=name or f"{kind} channel",
            kind=kind,
            target=target,
            secret=secret,
        )

    return build


class Inbox:
    """An SMTP handler keeping every envelope it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()
