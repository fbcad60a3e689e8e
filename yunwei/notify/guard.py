"""The server-side request forgery guard: where a channel may send to (issue 4, part 6).

A channel's target is typed by a unit admin, and the platform runs inside the intranet, next to
databases and cloud metadata endpoints. So every outbound host is resolved and refused when any of
its addresses is not globally routable: loopback, private, carrier-grade NAT (Alibaba Cloud's
metadata 100.100.100.200 among them), link-local (169.254.169.254), unique-local, reserved or
unspecified; multicast too. A group admin may allow a host, address or network on the allow-list.

It runs when a channel is saved and again right before each send, and it returns the addresses it
vetted: the sender connects to one of those, never resolving the name a second time, so a DNS answer
that changes in between (DNS rebinding) cannot point the connection somewhere unchecked.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from .models import AllowedAddress

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# NAT64 (RFC 6052): a gateway turns 64:ff9b::a00:1 into 10.0.0.1, so judge the IPv4 inside.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(Exception):
    """The target may not be reached; the message says why (shown to admins, never a response body)."""


def _allow_list() -> tuple[set[str], list]:
    hosts, networks = set(), []
    for value in AllowedAddress.objects.values_list("value", flat=True):
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            hosts.add(value.strip().lower().rstrip("."))
    return hosts, networks


def _forbidden(address: Address) -> bool:
    """Whether `address` is not globally routable (the IPv4 inside an IPv6 form is what counts)."""
    if address.version == 6:
        if address.ipv4_mapped:
            address = address.ipv4_mapped
        elif address.sixtofour:
            address = address.sixtofour
        elif address in NAT64:
            address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    # `is_global` is True for multicast (224.0.0.0/4, ff0e::/16): refused all the same.
    return not address.is_global or address.is_multicast


def check_host(host: str, port: int) -> list[Address]:
    """The addresses of `host` to connect to; Refused unless every one of them may be reached.

    A host name on the allow-list may resolve to anything; it is still resolved here, once, so the
    caller connects to the addresses returned and not to whatever the name resolves to later.
    """
    host = (host or "").strip().lower().rstrip(".")
    if not host:
        raise Refused(_("No host given."))
    allowed_hosts, allowed_networks = _allow_list()
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise Refused(_("The host %(host)s cannot be resolved.") % {"host": host}) from None
    addresses = []
    for *_rest, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address in addresses:
            continue
        addresses.append(address)
        if host in allowed_hosts or any(address in network for network in allowed_networks):
            continue
        if _forbidden(address):
            raise Refused(
                _("The address %(address)s of %(host)s is internal and not on the allow-list.")
                % {"address": address, "host": host}
            )
    return addresses


def check_url(url: str) -> list[Address]:
    """The addresses to connect to for `url`; Refused unless it is http(s) to a host that may be reached."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        raise Refused(_("This is not a valid URL.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("Only http and https URLs are allowed."))
    return check_host(parts.hostname, port or (443 if parts.scheme == "https" else 80))


def connect(addresses: list[Address], port: int, timeout: float, source_address=None) -> socket.socket:
    """A TCP connection to the first of the vetted `addresses` that answers (no name is resolved)."""
    error: OSError = OSError(_("No address to connect to."))
    for address in addresses:
        try:
            return socket.create_connection((str(address), port), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error
