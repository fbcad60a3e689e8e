"""The server-side request forgery guard: where a channel may send to (issue 4, part 6).

A channel's target is typed by a unit admin, and the platform runs inside the intranet, next to
databases and cloud metadata endpoints. So every outbound host is resolved and refused when any of
its addresses is loopback, private, link-local (the metadata address 169.254.169.254 among them),
multicast, reserved or unspecified, unless a group admin put the host, address or network on the
allow-list. It runs when a channel is saved and again right before each send, since DNS may change.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from .models import AllowedAddress

METADATA_ADDRESS = ipaddress.ip_address("169.254.169.254")


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


def _forbidden(address) -> bool:
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address == METADATA_ADDRESS or any(
        (
            address.is_loopback,
            address.is_private,
            address.is_link_local,
            address.is_multicast,
            address.is_reserved,
            address.is_unspecified,
        )
    )


def check_host(host: str, port: int) -> None:
    """Raise Refused unless every address `host` resolves to may be reached."""
    host = (host or "").strip().lower().rstrip(".")
    if not host:
        raise Refused(_("No host given."))
    allowed_hosts, allowed_networks = _allow_list()
    if host in allowed_hosts:
        return
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise Refused(_("The host %(host)s cannot be resolved.") % {"host": host}) from None
    for *_rest, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if any(address in network for network in allowed_networks):
            continue
        if _forbidden(address):
            raise Refused(
                _("The address %(address)s of %(host)s is internal and not on the allow-list.")
                % {"address": address, "host": host}
            )


def check_url(url: str) -> None:
    """Raise Refused unless `url` is http(s) to a host that may be reached."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        raise Refused(_("This is not a valid URL.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("Only http and https URLs are allowed."))
    check_host(parts.hostname, port or (443 if parts.scheme == "https" else 80))
