"""Delivering alerts and digests: email over SMTP and signed webhooks.

An email goes to one person at a time: one message per recipient, with only
that address in ``To:`` and in the envelope, so no recipient learns who else
is told (an ops list, a viewer's private address). :class:`Mailer` keeps one
SMTP connection for the messages of one round and says per recipient whether
the server took it, refused it for now (4xx: try again) or for good (5xx).

A webhook is a JSON POST whose body is signed with the rule's own secret:
``X-Hymy-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>``, so a
receiver can check that the call came from this central and was not altered
(compare with :func:`hmac.compare_digest`). TLS is verified; redirects are
not followed (a redirect would send the signed body somewhere the rule does
not name); the address is checked on the connection (sync/central/alerts/outbound.py).
"""
import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import requests

from sync.central.alerts.outbound import WebhookPolicy, refusal, url_problem, webhook_session
from sync.wire.errors import HymyError

SIGNATURE_HEADER = "X-Hymy-Signature"
#: Seconds to connect and to wait for an answer, for SMTP and webhooks alike.
TIMEOUT = 10.0


class DeliveryError(HymyError):
    """An email or webhook could not be delivered (the sender retries later)."""


class Refused(DeliveryError):
    """Delivery to this recipient or URL is refused for good: retrying would not help (a 5xx from the
    mail server for that address, an address that is not one, a webhook address the policy refuses)."""


@dataclass(frozen=True)
class SmtpSettings:
    """How central sends email (config keys ``smtp_host``, ``smtp_port``, ``smtp_user``,
    ``smtp_password``, ``smtp_from``, ``smtp_starttls``)."""

    host: str
    port: int = 587
    sender: str = "hymy@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = True


def signature(secret: str, body: bytes) -> str:
    """The ``X-Hymy-Signature`` value of *body* (bytes) under *secret*."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(url: str, secret: str, payload: Any, policy: WebhookPolicy | None = None) -> int:
    """POST *payload* as JSON to *url*, signed with *secret*; return the HTTP status.

    :param policy: where webhooks may go (:class:`~sync.central.alerts.outbound.WebhookPolicy`; default:
        https to public addresses only). Refused when the URL or the address connected to breaks it;
        DeliveryError for anything else short of a 2xx.
    """
    policy = policy or WebhookPolicy()
    if problem := url_problem(url, WebhookPolicy(policy.allow_http, allow_private=True)):
        raise Refused(f"webhook {url}: {problem}")
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, body)}
    try:
        with webhook_session(policy) as session:
            answer = session.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    except requests.ConnectionError as error:
        if refused := refusal(error):
            raise Refused(f"webhook {url}: {refused.detail} (allowed only with webhook_allow_private = true "
                          "in central's config)") from None
        raise DeliveryError(f"webhook {url}: {type(error).__name__}") from None
    except requests.RequestException as error:
        raise DeliveryError(f"webhook {url}: {type(error).__name__}") from None
    if not 200 <= answer.status_code < 300:
        raise DeliveryError(f"webhook {url}: HTTP {answer.status_code}")
    return answer.status_code


class Mailer:
    """One SMTP connection, for messages sent one per recipient; use it with ``with``.

    Entering connects (STARTTLS and login as configured): DeliveryError when the
    server is away. :meth:`send` raises :class:`Refused` when the server refuses
    that recipient for good, and DeliveryError for anything to try again later;
    once the connection is lost, every further :meth:`send` of the round raises
    at once, and those recipients wait for the next round.
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._lost: str | None = None

    def _where(self) -> str:
        return f"email via {self.settings.host}:{self.settings.port}"

    def __enter__(self) -> "Mailer":
        settings = self.settings
        try:
            self._smtp = smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password or "")
        except (OSError, smtplib.SMTPException) as error:
            self._close()
            raise DeliveryError(f"{self._where()}: {error}") from None
        return self

    def send(self, recipient: str, subject: str, text: str) -> None:
        """Send one message to *recipient* alone (an address as :func:`sync.central.org.registry.checked_email`
        gives it): ``To:`` and the envelope name only them."""
        if self._lost:
            raise DeliveryError(self._lost)
        if self._smtp is None:
            raise DeliveryError(f"{self._where()}: not connected")
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = recipient
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.settings.sender.rpartition("@")[2] or None)
        message.set_content(text)
        try:
            self._smtp.send_message(message, from_addr=self.settings.sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, said = error.recipients.get(recipient, (None, b""))
            reason = f"{self._where()}: {recipient} refused: {code} {_text(said)}".rstrip()
            if code is not None and 500 <= code < 600:
                raise Refused(reason) from None
            raise DeliveryError(reason) from None
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._lost = f"{self._where()}: connection lost: {error or type(error).__name__}"
            raise DeliveryError(self._lost) from None
        except smtplib.SMTPException as error:
            raise DeliveryError(f"{self._where()}: {error}") from None

    def _close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def __exit__(self, *exc: object) -> None:
        self._close()


def _text(said: bytes | str) -> str:
    return said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)


def send_email(settings: SmtpSettings, recipient: str, subject: str, text: str) -> None:
    """Send one plain-text message to one *recipient* on a connection of its own."""
    with Mailer(settings) as mailer:
        mailer.send(recipient, subject, text)
