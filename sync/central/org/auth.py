"""Tokens and passwords.

Kiosk and API tokens are 256-bit random strings, so storing their SHA-256 is
enough: nothing can be guessed from the hash, and looking a token up by its
hash needs no constant-time compare. Passwords are low-entropy and get
werkzeug's salted scrypt instead. Each token is scoped by its prefix: a kiosk
token opens only the kiosk endpoints, a user token only the head-office ones.
"""
import hashlib
import secrets

from flask import g, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized
from werkzeug.security import generate_password_hash

from sync.central.store.models import Kiosk, User, UserSite

KIOSK_PREFIX = "hymy_k_"
USER_PREFIX = "hymy_u_"


def new_token(prefix: str) -> tuple[str, str]:
    """Return ``(token, hash)``; show the token once, store only the hash."""
    token = prefix + secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_password() -> str:
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def _unauthorized(message: str) -> Unauthorized:
    """401 that says which scheme to use (RFC 9110: a 401 carries WWW-Authenticate)."""
    return Unauthorized(message, www_authenticate=WWWAuthenticate("bearer", {"realm": "hymy"}))


def _bearer(prefix: str) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("send Authorization: Bearer <token>")
    token = token.strip()
    if not token.startswith(prefix) or len(token) > 200:
        raise _unauthorized("that token is not valid here")
    return token


def current_kiosk() -> Kiosk:
    """The kiosk whose token came with this request (401 unknown, 403 revoked)."""
    if "kiosk" not in g:
        kiosk = Kiosk.get_or_none(Kiosk.token_hash == token_hash(_bearer(KIOSK_PREFIX)))
        if kiosk is None:
            raise _unauthorized("unknown kiosk token")
        if kiosk.revoked:
            raise Forbidden("this kiosk has been revoked")
        g.kiosk = kiosk
    current: Kiosk = g.kiosk
    return current


def current_user() -> User:
    """The head-office user whose API token came with this request."""
    if "user" not in g:
        user = User.get_or_none(User.token_hash == token_hash(_bearer(USER_PREFIX)))
        if user is None:
            raise _unauthorized("unknown API token")
        g.user = user
    current: User = g.user
    return current


def visible_site_ids(user: User) -> list[int] | None:
    """None for an admin (every site), else the ids of the user's sites."""
    if user.role == "admin":
        return None
    return [link.site_id for link in UserSite.select().where(UserSite.user == user)]
