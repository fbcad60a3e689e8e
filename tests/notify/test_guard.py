"""The SSRF guard: only globally routable addresses unless allowed, and the connection pinned to them."""

import email
import ipaddress
import json
import socket
import urllib.request

import pytest

from yunwei.notify import guard, senders, services

pytestmark = pytest.mark.django_db
LOOPBACK = ipaddress.ip_address("127.0.0.1")


@pytest.mark.parametrize(
    "address",
    [
        "100.100.100.200",  # Alibaba Cloud's metadata service, in carrier-grade NAT space
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",
        "0.0.0.0",  # noqa: S104 - the address under test, not one listened on
        "169.254.169.254",
        "224.0.0.1",
        "2002:a00:1::",  # 6to4 form of 10.0.0.1
        "64:ff9b::a00:1",  # NAT64 form of 10.0.0.1
    ],
)
def test_addresses_that_are_not_globally_routable_are_refused(address):
    with pytest.raises(guard.Refused) as refused:
        guard.check_host(address, 80)

    assert str(ipaddress.ip_address(address)) in str(refused.value)


def test_a_public_address_passes():
    assert guard.check_host("8.8.8.8", 443) == [ipaddress.ip_address("8.8.8.8")]


def test_an_allow_listed_address_is_accepted_and_returned(allow_loopback):
    assert guard.check_host("127.0.0.1", 80) == [LOOPBACK]
    assert guard.check_url("http://127.0.0.1:8080/hook") == [LOOPBACK]


def test_a_network_on_the_allow_list_covers_its_addresses(group_admin):
    services.allow_address("100.64.0.0/10", actor=group_admin)

    assert guard.check_host("100.100.100.200", 80) == [ipaddress.ip_address("100.100.100.200")]


def test_a_name_is_resolved_once_and_its_vetted_addresses_returned(group_admin, monkeypatch):
    for value in ("127.0.0.1", "::1"):  # whichever of the two `localhost` resolves to here
        services.allow_address(value, actor=group_admin)
    resolve, asked = socket.getaddrinfo, []

    def counted(host, *args, **kwargs):
        asked.append(host)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counted)

    addresses = guard.check_host("localhost", 80)

    assert asked == ["localhost"]
    resolved = [
        ipaddress.ip_address(info[4][0]) for info in resolve("localhost", 80, proto=socket.IPPROTO_TCP)
    ]
    assert addresses == list(dict.fromkeys(resolved))
    assert addresses and set(addresses) <= {LOOPBACK, ipaddress.ip_address("::1")}


def test_http_connects_to_the_vetted_address_not_to_the_name(httpserver):
    """A name that resolves nowhere still reaches the pinned address: nothing is resolved again."""
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    url = f"http://rebound.invalid:{httpserver.port}/hook"
    request = urllib.request.Request(url, data=b"{}", method="POST")  # noqa: S310 - http, a test

    with senders._opener([LOOPBACK]).open(request, timeout=5) as response:
        assert response.read() == b"ok"

    [(received, _response)] = httpserver.log
    assert received.headers["Host"] == f"rebound.invalid:{httpserver.port}"  # the name is kept


def test_a_send_to_a_name_goes_to_the_address_the_guard_checked(httpserver, group_admin):
    for value in ("127.0.0.1", "::1"):
        services.allow_address(value, actor=group_admin)
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")

    answer = senders.post_json(f"http://localhost:{httpserver.port}/hook", {"a": 1})

    assert answer == b"ok"
    [(received, _response)] = httpserver.log
    assert received.headers["Host"] == f"localhost:{httpserver.port}"
    assert json.loads(received.get_data()) == {"a": 1}


def test_smtp_connects_to_the_vetted_address_not_to_the_name(smtp_server):
    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.cn", "b@example.cn", "pinned"
    message.set_content("body")

    with senders._PinnedSMTP("mail.invalid", smtp_server.port, addresses=[LOOPBACK], timeout=5) as smtp:
        smtp.send_message(message)

    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["b@example.cn"]


def test_a_name_that_does_not_resolve_is_refused(allow_loopback):
    with pytest.raises(guard.Refused):
        guard.check_host("rebound.invalid", 80)
