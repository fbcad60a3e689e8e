"""The ways a message leaves: SMTP, the WeCom, DingTalk and Feishu group robots and a signed webhook.

Each sender raises SendError with a short reason on failure; the reason is stored on the delivery and
shown to admins, so it never carries the answer's body (a channel is not a way to read intranet
pages). HTTP goes through an opener that follows no redirect, uses no proxy and waits TIMEOUT seconds.
Every connection, HTTP or SMTP, goes to an address the SSRF guard vetted (see ``guard``); the host
name is kept for the Host header and for TLS (SNI and certificate check).

Webhook signature
-----------------
A webhook channel with a secret sends two headers with each POST::

    X-Yunwei-Timestamp: 1767225600            (unix seconds when it was sent)
    X-Yunwei-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>

The receiver recomputes the HMAC over the timestamp header, a dot and the raw body bytes exactly as
received, compares it in constant time (``hmac.compare_digest``), and rejects the request when they
differ or when the timestamp is more than five minutes away from its own clock: a captured request
then cannot be replayed later. A receiver that must also refuse a replay within those five minutes
keeps the ``delivery_id`` of the body for that long and refuses one it has seen (a retry of the same
delivery carries the same id and a new timestamp).
"""

import base64
import functools
import hashlib
import hmac
import http.client
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from urllib.parse import quote_plus, urlsplit

from django.utils.translation import gettext as _

from . import guard
from .choices import ChannelKind

TIMEOUT = 10  # seconds, for connecting and for each read
MAX_ANSWER = 64 * 1024
SIGNATURE_HEADER = "X-Yunwei-Signature"
TIMESTAMP_HEADER = "X-Yunwei-Timestamp"


class SendError(Exception):
    """The message did not go out; worth another attempt later."""


class PermanentError(SendError):
    """The message cannot go out until someone changes the configuration: no retry."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: following it could lead anywhere inside."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the vetted addresses; `host` stays the name, for the Host header."""

    def __init__(self, host, *, addresses, **kwargs):
        super().__init__(host, **kwargs)
        self._create_connection = functools.partial(self._pinned, addresses)

    @staticmethod
    def _pinned(addresses, host_port, timeout, source_address=None):
        return guard.connect(addresses, host_port[1], timeout, source_address)


class _PinnedHTTPSConnection(_PinnedHTTPConnection, http.client.HTTPSConnection):
    """The same over TLS: the certificate is checked against the name (SNI too), not the address."""


class _PinnedHandler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    def __init__(self, addresses):
        super().__init__()
        self.addresses = addresses

    def http_open(self, req):
        return self.do_open(functools.partial(_PinnedHTTPConnection, addresses=self.addresses), req)

    def https_open(self, req):
        return self.do_open(functools.partial(_PinnedHTTPSConnection, addresses=self.addresses), req)


def _opener(addresses) -> urllib.request.OpenerDirector:
    pinned = _PinnedHandler(addresses)
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect, pinned)


def _timed_out() -> SendError:
    return SendError(_("The server did not answer within %(seconds)s seconds.") % {"seconds": TIMEOUT})


def post_json(url: str, payload: dict, *, headers: dict | None = None) -> bytes:
    """POST `payload` as JSON to `url` after the SSRF guard; the answer's body when it is a 2xx."""
    try:
        addresses = guard.check_url(url)
    except guard.Refused as exc:
        raise PermanentError(str(exc)) from None
    data = json.dumps(payload, ensure_ascii=False).encode()
    # The scheme is checked above: http(s) only.
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310
    request.add_header("Content-Type", "application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _opener(addresses).open(request, timeout=TIMEOUT) as response:
            return response.read(MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        exc.close()
        if 300 <= exc.code < 400:
            raise SendError(
                _("The server answered with a redirect (HTTP %(code)s); redirects are not followed.")
                % {"code": exc.code}
            ) from None
        raise SendError(_("The server answered HTTP %(code)s.") % {"code": exc.code}) from None
    except TimeoutError:
        raise _timed_out() from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):  # a timeout while connecting or sending comes wrapped
            raise _timed_out() from None
        raise SendError(_("Could not connect: %(reason)s") % {"reason": reason}) from None


def _robot_answer(answer: bytes, code_key: str) -> None:
    """Robots answer 200 with an error code inside; anything but code 0 is a failure."""
    try:
        code = json.loads(answer).get(code_key)
    except (ValueError, AttributeError):
        raise SendError(_("The robot's answer is not the JSON it should be.")) from None
    if code != 0:
        raise SendError(_("The robot refused the message (error code %(code)s).") % {"code": code})


def markdown(subject: str, body: str) -> str:
    return f"### {subject}\n\n{body}".strip()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk: base64 HMAC-SHA256 of "timestamp\\nsecret" keyed with the secret, URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu: base64 HMAC-SHA256 of an empty message keyed with "timestamp\\nsecret"."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Yunwei-Signature of a webhook body sent at `timestamp` (see the module's docstring)."""
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def send_wecom(channel, subject: str, body: str, payload: dict) -> None:
    message = {"msgtype": "markdown", "markdown": {"content": markdown(subject, body)}}
    _robot_answer(post_json(channel.target, message), "errcode")


def send_dingtalk(channel, subject: str, body: str, payload: dict) -> None:
    url = channel.target
    if channel.secret:
        timestamp = int(time.time() * 1000)
        separator = "&" if urlsplit(url).query else "?"
        url = f"{url}{separator}timestamp={timestamp}&sign={dingtalk_sign(channel.secret, timestamp)}"
    message = {"msgtype": "markdown", "markdown": {"title": subject, "text": markdown(subject, body)}}
    _robot_answer(post_json(url, message), "errcode")


def send_feishu(channel, subject: str, body: str, payload: dict) -> None:
    message = {"msg_type": "text", "content": {"text": f"{subject}\n{body}".strip()}}
    if channel.secret:
        timestamp = int(time.time())
        message = {"timestamp": str(timestamp), "sign": feishu_sign(channel.secret, timestamp), **message}
    _robot_answer(post_json(channel.target, message), "code")


def send_webhook(channel, subject: str, body: str, payload: dict) -> None:
    message = {**payload, "subject": subject, "body": body}
    data = json.dumps(message, ensure_ascii=False).encode()
    headers = {}
    if channel.secret:
        timestamp = int(time.time())
        headers = {
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: webhook_signature(channel.secret, timestamp, data),
        }
    # post_json encodes the same dict the same way, so the signature covers the bytes sent.
    post_json(channel.target, message, headers=headers)


class _PinnedSMTP(smtplib.SMTP):
    """Connects to the vetted addresses; `host` stays the name STARTTLS checks the certificate against."""

    def __init__(self, host, port, *, addresses, timeout):
        self._addresses = addresses
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host, port, timeout):
        return guard.connect(self._addresses, port, timeout, self.source_address)


def send_email(channel, subject: str, body: str, *, to: str) -> None:
    settings = channel.target if isinstance(channel.target, dict) else {}
    host, port = settings.get("host", ""), int(settings.get("port") or 25)
    try:
        addresses = guard.check_host(host, port)
    except guard.Refused as exc:
        raise PermanentError(str(exc)) from None
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.get("from") or settings.get("username") or "yunwei@localhost"
    message["To"] = to
    message.set_content(body or subject)
    try:
        with _PinnedSMTP(host, port, addresses=addresses, timeout=TIMEOUT) as smtp:
            if settings.get("use_tls"):
                smtp.starttls(context=ssl.create_default_context())
            if settings.get("username"):
                smtp.login(settings["username"], settings.get("password", ""))
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused:
        raise PermanentError(_("The mail server refused the address %(to)s.") % {"to": to}) from None
    except smtplib.SMTPResponseException as exc:
        raise SendError(_("The mail server answered %(code)s.") % {"code": exc.smtp_code}) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(
            _("Could not send the e-mail: %(reason)s") % {"reason": exc.__class__.__name__}
        ) from None


ROBOTS = {
    ChannelKind.WECOM: send_wecom,
    ChannelKind.DINGTALK: send_dingtalk,
    ChannelKind.FEISHU: send_feishu,
    ChannelKind.WEBHOOK: send_webhook,
}


def send(channel, *, subject: str, body: str, to: str = "", payload: dict | None = None) -> None:
    """Send one message through `channel` (to the address `to` for e-mail); SendError when it fails."""
    if channel.kind == ChannelKind.EMAIL:
        if not to:
            raise PermanentError(_("No e-mail address to send to."))
        send_email(channel, subject, body, to=to)
    else:
        ROBOTS[channel.kind](channel, subject, body, payload or {})
