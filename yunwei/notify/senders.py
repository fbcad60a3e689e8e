"""The ways a message leaves: SMTP, the WeCom, DingTalk and Feishu group robots and a signed webhook.

Each sender raises SendError with a short reason on failure; the reason is stored on the delivery and
shown to admins, so it never carries the answer's body (a channel is not a way to read intranet
pages). HTTP goes through an opener that follows no redirect, uses no proxy and waits 10 seconds.
"""

import base64
import hashlib
import hmac
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


class SendError(Exception):
    """The message did not go out; worth another attempt later."""


class PermanentError(SendError):
    """The message cannot go out until someone changes the configuration: no retry."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: following it could lead anywhere inside."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def post_json(url: str, payload: dict, *, headers: dict | None = None) -> bytes:
    """POST `payload` as JSON to `url` after the SSRF guard; the answer's body when it is a 2xx."""
    try:
        guard.check_url(url)
    except guard.Refused as exc:
        raise PermanentError(str(exc)) from None
    data = json.dumps(payload, ensure_ascii=False).encode()
    # The scheme is checked above: http(s) only.
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310
    request.add_header("Content-Type", "application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
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
        raise SendError(
            _("The server did not answer within %(seconds)s seconds.") % {"seconds": TIMEOUT}
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
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


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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
    headers = {SIGNATURE_HEADER: webhook_signature(channel.secret, data)} if channel.secret else {}
    # post_json encodes the same dict the same way, so the signature covers the bytes sent.
    post_json(channel.target, message, headers=headers)


def send_email(channel, subject: str, body: str, *, to: str) -> None:
    settings = channel.target if isinstance(channel.target, dict) else {}
    host, port = settings.get("host", ""), int(settings.get("port") or 25)
    try:
        guard.check_host(host, port)
    except guard.Refused as exc:
        raise PermanentError(str(exc)) from None
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.get("from") or settings.get("username") or "yunwei@localhost"
    message["To"] = to
    message.set_content(body or subject)
    try:
        with smtplib.SMTP(host, port, timeout=TIMEOUT) as smtp:
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
