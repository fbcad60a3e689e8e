"""The demo's own targets (`yunwei demo-targets`): small servers on 127.0.0.1 that the demo checks watch,
so a first start shows checks up, down, flapping and unknown against something real.

- ``http``: an HTTP server answering 200 "OA OK" (and ``/health``: ``{"status": "ok", …}``);
- ``flapping``: an HTTP server answering 200 and 503 in turns of `FLAP_SECONDS`;
- ``tcp``: a TCP port greeting with ``220 yunwei demo``;
- ``closed``: a port nothing listens on (the check against it is down);
- ``dns``: a UDP port that swallows DNS queries without a word (the check against it is unknown: the
  resolver does not answer, so the probe cannot judge the record).

The ports follow one another from ``YUNWEI_DEMO_TARGETS_PORT`` (default 18600); `yunwei serve` starts this
process, supervised like the web and the worker, when the demo checks are in the database.
"""

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass

DEFAULT_BASE_PORT = 18600
FLAP_SECONDS = 180  # up three minutes, down three minutes
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Ports:
    http: int
    flapping: int
    tcp: int
    closed: int
    dns: int

    @classmethod
    def from_base(cls, base: int) -> "Ports":
        return cls(http=base, flapping=base + 1, tcp=base + 2, closed=base + 3, dns=base + 4)

    @classmethod
    def configured(cls) -> "Ports":
        return cls.from_base(int(os.environ.get("YUNWEI_DEMO_TARGETS_PORT", DEFAULT_BASE_PORT)))


def flapping_is_up(now: float | None = None, period: float = FLAP_SECONDS) -> bool:
    """Whether the flapping target answers 200 at `now` (epoch seconds): up in even turns."""
    return int((time.time() if now is None else now) // period) % 2 == 0


def _response(status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> bytes:
    reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


async def _read_request(reader: asyncio.StreamReader) -> str:
    """The request's path (the headers are read and dropped); empty when the client sent nothing."""
    line = await asyncio.wait_for(reader.readline(), timeout=10)
    with contextlib.suppress(asyncio.LimitOverrunError, ValueError):
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    parts = line.decode("latin-1").split()
    return parts[1] if len(parts) >= 2 else ""


def http_handler(flapping: bool = False, period: float = FLAP_SECONDS):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            path = await _read_request(reader)
            if flapping and not flapping_is_up(period=period):
                answer = _response(503, b"OA maintenance")
            elif path.startswith("/health"):
                body = json.dumps({"status": "ok", "queue": {"depth": 3}}).encode()
                answer = _response(200, body, "application/json")
            else:
                answer = _response(200, "OA OK — 运维演示目标".encode())
            writer.write(answer)
            await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    return handle


async def _greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        writer.write(b"220 yunwei demo\r\n")
        await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


class _Silent(asyncio.DatagramProtocol):
    """Reads every datagram and answers none: a resolver that does not answer."""

    def datagram_received(self, data, addr) -> None:
        pass


async def start(ports: Ports, *, period: float = FLAP_SECONDS, failures: list | None = None) -> list:
    """Start every target; returns what `stop` closes. A port already taken is skipped and named in
    `failures` (when given; else it raises): the demo must not take the product down with it."""
    loop = asyncio.get_running_loop()
    openers = [
        (ports.http, lambda: asyncio.start_server(http_handler(), HOST, ports.http)),
        (
            ports.flapping,
            lambda: asyncio.start_server(http_handler(flapping=True, period=period), HOST, ports.flapping),
        ),
        (ports.tcp, lambda: asyncio.start_server(_greet, HOST, ports.tcp)),
        (ports.dns, lambda: loop.create_datagram_endpoint(_Silent, local_addr=(HOST, ports.dns))),
    ]
    handles = []
    for port, opener in openers:
        try:
            opened = await opener()
        except OSError as exc:
            if failures is None:
                await stop(handles)
                raise
            failures.append((port, exc))
            continue
        handles.append(opened[0] if isinstance(opened, tuple) else opened)
    return handles


async def stop(handles: list) -> None:
    for handle in handles:
        handle.close()
        if isinstance(handle, asyncio.AbstractServer):
            await handle.wait_closed()


async def serve(ports: Ports) -> None:
    failures: list = []
    handles = await start(ports, failures=failures)
    for port, exc in failures:
        print(f"Demo target on {HOST}:{port} not started: {exc.strerror or exc}", file=sys.stderr, flush=True)
    print(
        f"Demo targets on {HOST}: HTTP {ports.http}, flapping HTTP {ports.flapping}, TCP {ports.tcp}, "
        f"silent DNS {ports.dns}/udp; {ports.closed} stays closed.",
        flush=True,
    )
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, done.set)
    await done.wait()
    await stop(handles)


def main() -> None:
    asyncio.run(serve(Ports.configured()))
