"""Managing the organisation: sites, services, providers, kiosks, users.

The ``hymy central`` commands and the demo call these; each raises
:class:`OrgError` with one line when a name is taken or unknown.
"""
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any, TypeVar

import peewee
from email_validator import EmailNotValidError, validate_email

from sync.central.org import auth, sessions
from sync.central.store import rollups
from sync.central.store.db import connection, write_transaction
from sync.central.store.models import Kiosk, Provider, Question, Service, Site, User, UserSite
from sync.wire.errors import HymyError
from sync.wire.hours import OpeningHours, load_zone
from sync.wire.protocol import QUESTION_FIELDS, SITE_PIN_LENGTHS, RowError, Text, pin_problem

M = TypeVar("M", bound=peewee.Model)


class OrgError(HymyError, ValueError):
    """A name is taken, unknown or not a name."""


NAME = Text(120)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _noun(model: type[peewee.Model]) -> str:
    return getattr(model, "noun", model.__name__.lower())


def _checked_name(model: type[peewee.Model], name: object) -> str:
    """A name as it may be stored: the wire's text rule, at most 120 characters."""
    try:
        return NAME(name)
    except RowError as error:
        raise OrgError(f"{_noun(model)} name: {error}") from None


def _create(model: type[M], **fields: Any) -> M:
    if "name" in fields:
        _checked_name(model, fields["name"])
    try:
        with connection():
            return model.create(**fields)
    except peewee.IntegrityError:
        raise OrgError(f"a {_noun(model)} named {fields.get('name')!r} exists already") from None


def named(model: type[M], name: str) -> M:
    _checked_name(model, name)
    found = model.get_or_none(model.name == name)  # type: ignore[attr-defined]  # every named model has one
    if found is None:
        raise OrgError(f"no {_noun(model)} named {name!r}")
    return found


def add_site(name: str, zone_name: str = "Europe/Helsinki", opening_hours: dict[str, Any] | None = None) -> Site:
    """Add a site; *opening_hours* as in the kiosk config (ConfigError if bad)."""
    OpeningHours.parse(opening_hours or {}, load_zone(zone_name))
    return _create(Site, name=name, timezone=zone_name, opening_hours=opening_hours or {})


def add_service(name: str) -> Service:
    return _create(Service, name=name)


def add_provider(name: str) -> Provider:
    return _create(Provider, name=name)


def add_kiosk(
    name: str, site: str, service: str, provider: str | None = None, question_key: str = "service"
) -> str:
    """Add a kiosk; return its token (only its hash is stored)."""
    with connection():
        site_row, service_row = named(Site, site), named(Service, service)
        provider_row = named(Provider, provider) if provider else None
        try:
            QUESTION_FIELDS["id"](question_key)
        except RowError as error:
            raise OrgError(f"question key: {error}") from None
        if not Question.select().where((Question.key == question_key) & Question.published).exists():
            raise OrgError(f"no question {question_key!r}; add it with hymy central set-question")
        token, token_hash = auth.new_token(auth.KIOSK_PREFIX)
        _create(Kiosk, name=name, site=site_row, service=service_row, provider=provider_row,
                question_key=question_key, token_hash=token_hash, created_at=_now())
    return token


def add_user(
    name: str, role: str, sites: Iterable[str] = (), email: str | None = None
) -> tuple[str, str]:
    """Add a head-office user; return ``(password, api_token)``, shown once."""
    password = auth.new_password()
    token, token_hash = auth.new_token(auth.USER_PREFIX)
    email = checked_email(email)
    with connection():
        site_rows = [named(Site, s) for s in sites]
        user = _create(User, name=name, role=role, password_hash=auth.hash_password(password),
                       token_hash=token_hash, created_at=_now(), email=email)
        for site_row in site_rows:
            UserSite.create(user=user, site=site_row)
    return password, token


def revoke_kiosk(name: str) -> None:
    """Refuse the kiosk's token from now on (its rows stay)."""
    with connection():
        Kiosk.update(revoked=True).where(Kiosk.id == named(Kiosk, name).id).execute()


def set_site_pin(name: str, pin: str | None) -> None:
    """Set (or with *pin* None, clear) a site's manager PIN, 6 to 8 digits; its kiosks take it with
    their config.

    Only werkzeug's salted hash is kept and sent, never the PIN; as the hash reaches every kiosk of
    the site, the PIN is longer than a device's own (:data:`~sync.wire.protocol.SITE_PIN_LENGTHS`).
    """
    if pin is not None and (problem := pin_problem(pin, SITE_PIN_LENGTHS)):
        raise OrgError(problem)
    with connection(), write_transaction():
        site = named(Site, name)
        Site.update(manager_pin_hash=auth.hash_password(pin) if pin is not None else None).where(
            Site.id == site.id).execute()


def checked_email(email: str | None) -> str | None:
    """*email* as one address, normalised (the domain in lower case), or None when blank; OrgError
    when it is not exactly one address.

    email-validator decides (syntax only: ``check_deliverability=False``, as central may not reach
    DNS, and a mail server answers for its own addresses). A comma is refused with its own line: a
    header or a mail server could read ``a@x.example, b@y.example`` as two people. Addresses must
    be ASCII before the ``@`` (an internationalised domain is fine), so every mail server can take them.
    """
    if email is None or not email.strip():
        return None
    email = email.strip()
    if "," in email:
        raise OrgError(f"one email address only, without commas: {email[:60]!r}")
    try:
        return validate_email(email, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError as error:
        raise OrgError(f"not an email address: {email[:60]!r}: {error}") from None


def ascii_email(email: str) -> str:
    """*email* (already checked) as a mail server takes it: an internationalised domain in its ASCII form."""
    validated = validate_email(email, check_deliverability=False, allow_smtputf8=False)
    return validated.ascii_email or validated.normalized  # without SMTPUTF8 the ASCII form is always there


def set_password(name: str, password: str) -> None:
    """Set a user's password (its hash); every session of the user ends, on every worker."""
    password_hash = auth.hash_password(password)  # before the transaction: scrypt takes a while
    with connection(), write_transaction():
        user = named(User, name)
        User.update(password_hash=password_hash).where(User.id == user.id).execute()
        sessions.end_all_of(user.id)


def set_contact(name: str, email: str | None, digest: bool, alert_email: bool = False) -> None:
    """Where a user's alerts and daily digest go, and whether each does (neither without an address)."""
    email = checked_email(email)
    with connection(), write_transaction():
        User.update(email=email, digest=bool(digest) and email is not None,
                    alert_email=bool(alert_email) and email is not None).where(
            User.id == named(User, name).id).execute()


def change_site(name: str, zone_name: str, opening_hours: dict[str, Any]) -> None:
    """Change a site's time zone and opening hours (ConfigError if bad); a new zone recounts its
    kiosks' local days from the raw rows, in the same transaction."""
    OpeningHours.parse(opening_hours or {}, load_zone(zone_name))
    with connection(), write_transaction():
        site = named(Site, name)
        Site.update(timezone=zone_name, opening_hours=opening_hours or {}).where(Site.id == site.id).execute()
        if zone_name != site.timezone:
            rollups.rebuild_days([kiosk.id for kiosk in Kiosk.select(Kiosk.id).where(Kiosk.site == site.id)])


def delete_user(name: str) -> None:
    """Delete a user; their sessions go with them (the rows cascade), on every worker at once."""
    with connection(), write_transaction():
        user = named(User, name)
        sessions.end_all_of(user.id)  # a new user given the same id must never inherit one
        User.delete().where(User.id == user.id).execute()
