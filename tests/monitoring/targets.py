"""Small real targets on 127.0.0.1 for the probe tests: TCP listeners that accept, reset, answer garbage or
hang, an HTTPS server with a certificate the test makes, and a DNS responder built on dnspython."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime
import http.server
import ipaddress
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

LOOPBACK = "127.0.0.1"


def run(coro):
    # In a thread of its own: a test run that also drives the browser keeps Playwright's event loop
    # running in the main thread, where asyncio.run() would refuse to start another.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def tcp_server(on_connect: Callable[[socket.socket], None]) -> Iterator[int]:
    """A listener on a free port that hands every accepted connection to ``on_connect`` in a thread."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)
            threading.Thread(target=on_connect, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        listener.close()
        for conn in held:
            with contextlib.suppress(OSError):
                conn.close()


def greet(text: bytes) -> Callable[[socket.socket], None]:
    def handler(conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            conn.sendall(text)
            conn.close()

    return handler


def reset(conn: socket.socket) -> None:
    """Close with SO_LINGER 0, so the peer gets a TCP reset instead of an orderly close."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.recv(1024)  # wait for the request, then reset in the middle of the exchange
        conn.close()


def hang(conn: socket.socket) -> None:
    """Accept and say nothing; the server's teardown closes the connection."""


def closed_port() -> int:
    return free_port()


# --- TLS ---------------------------------------------------------------------------------------------------


def self_signed_certificate(directory: Path, days: int = 30) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key, as a device's factory certificate is."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "switch.example.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "self-signed.pem", directory / "self-signed.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server dispatches to)
        body = b"hello over TLS"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def https_server(context: ssl.SSLContext) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


# --- DNS ---------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def dns_server(records: dict[tuple[str, str], list[str]], refused: set[str] = frozenset()) -> Iterator[int]:
    """A UDP responder: known (name, type) pairs answer, known names of another type answer NODATA, names in
    ``refused`` answer REFUSED, every other name NXDOMAIN."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    names = {name for name, _ in records}
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            reply.flags |= dns.flags.AA
            question = query.question[0]
            qname = question.name.to_text()
            qtype = dns.rdatatype.to_text(question.rdtype)
            if qname in refused:
                reply.set_rcode(dns.rcode.REFUSED)
            elif (qname, qtype) in records:
                reply.answer.append(
                    dns.rrset.from_text_list(qname, 300, "IN", qtype, records[(qname, qtype)])
                )
            elif qname not in names:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(reply.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        sock.close()


@contextlib.contextmanager
def silent_udp() -> Iterator[int]:
    """A UDP port that receives and never answers: a resolver that has stopped responding."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()
