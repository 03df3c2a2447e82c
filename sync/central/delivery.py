"""Delivering alerts and digests: email over SMTP and signed webhooks.

A webhook is a JSON POST whose body is signed with the rule's own secret:
``X-Hymy-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>``, so a
receiver can check that the call came from this central and was not altered
(compare with :func:`hmac.compare_digest`). TLS is verified; redirects are
not followed (a redirect would send the signed body somewhere the rule does
not name).
"""
import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import requests

from ..errors import HymyError

SIGNATURE_HEADER = "X-Hymy-Signature"
#: Seconds to connect and to wait for an answer, for SMTP and webhooks alike.
TIMEOUT = 10.0


class DeliveryError(HymyError):
    """An email or webhook could not be delivered (the sender retries later)."""


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


def signature(secret, body):
    """The ``X-Hymy-Signature`` value of *body* (bytes) under *secret*."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(url, secret, payload, session=None):
    """POST *payload* as JSON to *url*, signed with *secret*; raise DeliveryError unless 2xx."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, body)}
    try:
        answer = (session or requests).post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as error:
        raise DeliveryError(f"webhook {url}: {type(error).__name__}") from None
    if not 200 <= answer.status_code < 300:
        raise DeliveryError(f"webhook {url}: HTTP {answer.status_code}")
    return answer.status_code


def send_email(settings, recipients, subject, text):
    """Send a plain-text email to *recipients*; raise DeliveryError when the server refuses or is away."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(text)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"email via {settings.host}:{settings.port}: {error}") from None
