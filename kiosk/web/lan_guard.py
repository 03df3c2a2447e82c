"""Who may reach which part of the kiosk, and what changes when it listens on a network address.

Whatever address it listens on, the kiosk answers the customer screen (``/``,
``/api/…``, ``/events``) only to the client addresses in ``screen_clients``
and the manager screen (``/manager…``) only to those in ``manager_clients``
(both default to this machine's own loopback address); anyone else gets 403,
logged once a minute at most per address. ``/healthz`` and ``/static/``
answer anyone. A follow-up also needs the key its rating's answer carried
(kiosk/storage/followup_keys.py), so even a listed client cannot answer for another
screen's customer.

On a network address (``host`` such as ``0.0.0.0``) the LAN can reach it, so
the kiosk also

- answers only the ``Host`` names in ``allowed_hosts``: a page elsewhere that
  resolves its own name to the kiosk (DNS rebinding) gets 400, not the API;
- limits POSTs per client address to ``post_rate_limit`` (Flask-Limiter, in
  memory: the kiosk is one process), 429 with ``Retry-After`` past it; only
  the loopback members of ``screen_clients`` (the kiosk's own screen) are never limited;
- says so once at start (:func:`network_warning`).
"""
import ipaddress
import math
import re
import time

from flask import Flask, Response, jsonify, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from werkzeug.exceptions import BadRequest, Forbidden

from kiosk.config import KioskConfig
from kiosk.web.client_lists import ClientList, RefusalLog, client_address

LOOPBACK_NAMES = ("localhost",)

# host[:port] with the host a name, an IPv4 address or a bracketed IPv6 address.
_HOST_HEADER = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::[0-9]{1,5})?", re.IGNORECASE)


def is_loopback(address: str | None) -> bool:
    """True for ``localhost`` and any loopback address (127.0.0.0/8, ::1, ::ffff:127.x)."""
    address = (address or "").strip().strip("[]").lower()
    if address in LOOPBACK_NAMES:
        return True
    try:
        parsed = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(parsed, "ipv4_mapped", None)
    return parsed.is_loopback or bool(mapped and mapped.is_loopback)


def _normal_host(name: str) -> str:
    """*name* lower-cased without brackets; an IP address in its canonical form."""
    name = name.strip().strip("[]").lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name


def host_of(header: str | None) -> str | None:
    """The host name in a ``Host`` header value, normalised; None when malformed."""
    found = _HOST_HEADER.fullmatch(header or "")
    return _normal_host(found.group("name")) if found else None


class UntrustedHost(BadRequest):
    description = "this kiosk does not answer to that host name (see allowed_hosts)"


class NotAScreen(Forbidden):
    description = "this kiosk answers its customer screen only to the addresses in screen_clients"


class NotAManagerClient(Forbidden):
    """A manager path from an address outside ``manager_clients``; the manager's views render it as their
    own error page (kiosk/manager/views.py), since whoever opened it is looking at a browser."""

    description = "this kiosk answers its manager screen only to the addresses in manager_clients"


def screen_path(path: str) -> bool:
    """True for the customer screen's paths: ``/``, ``/api`` and below, ``/events``."""
    return path in ("/", "/api", "/events") or path.startswith("/api/")


def manager_path(path: str) -> bool:
    """True for the manager screen's paths: ``/manager`` and below."""
    return path == "/manager" or path.startswith("/manager/")


def _own_screen_unlisted(config: KioskConfig) -> bool:
    """True when ``host`` is one network address of this machine that ``screen_clients`` does not name:
    the machine's own screen, opened at that address, connects from it and would get 403."""
    address = client_address(config.host)
    if address is None or address.is_unspecified or address.is_loopback:
        return False
    return address not in ClientList("screen_clients", config.screen_clients)


def network_warning(config: KioskConfig) -> str | None:
    """The line printed at start when *config* listens beyond loopback, else None."""
    if is_loopback(config.host):
        return None
    line = (
        f"listening on {config.host}, reachable from the network: answering only Host "
        f"{', '.join(config.allowed_hosts)}; the customer screen only to {', '.join(config.screen_clients)} "
        f"and the manager screen only to {', '.join(config.manager_clients)} (screen_clients, manager_clients); "
        f"POSTs limited to {config.post_rate_limit} per client address (this machine's own screen is not limited)"
    )
    if _own_screen_unlisted(config):
        line += (f"; this machine's own screen connects from {config.host}, which is not in screen_clients: "
                 f"list it there first, or it gets 403")
    return line


def guard_clients(app: Flask) -> ClientList:
    """Answer each part of *app* only to the client addresses listed for it (on any ``host``)."""
    config = app.config["HYMY"]
    screens = ClientList("screen_clients", config.screen_clients)
    managers = ClientList("manager_clients", config.manager_clients)
    refusals = RefusalLog(app.extensions["hymy"].clock.monotonic)

    @app.before_request
    def _check_client() -> None:
        path = request.path
        clients = screens if screen_path(path) else managers if manager_path(path) else None
        if clients is None:
            return None
        address = client_address(request.remote_addr)
        if address in clients:
            return None
        refusals.refused(address, request.method, path, clients.key)
        raise NotAManagerClient() if clients is managers else NotAScreen()

    return screens


def _own_screen(screens: ClientList) -> bool:
    """True when this request comes from the kiosk's own screen: a loopback member of ``screen_clients``."""
    address = client_address(request.remote_addr)
    return address is not None and address.is_loopback and address in screens


def init_app(app: Flask) -> Limiter | None:
    """Guard *app*'s parts by client address; when its ``host`` is not loopback, also by ``Host`` and POST rate."""
    config = app.config["HYMY"]
    if is_loopback(config.host):
        guard_clients(app)
        return None
    allowed = {_normal_host(name) for name in config.allowed_hosts}

    # Registered before the limiter's own hook, so a refused Host or client costs no rate budget.
    @app.before_request
    def _check_host() -> None:
        if host_of(request.headers.get("Host")) not in allowed:
            raise UntrustedHost()

    screens = guard_clients(app)

    limiter = Limiter(
        key_func=lambda: str(client_address(request.remote_addr)),  # ::ffff:192.0.2.7 is 192.0.2.7
        app=app,
        application_limits=[ApplicationLimit(config.post_rate_limit, methods=["POST"])],
        storage_uri="memory://",
        headers_enabled=False,
    )

    @limiter.request_filter
    def _not_limited() -> bool:
        return _own_screen(screens)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded) -> Response:
        current = limiter.current_limit
        wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
        response = jsonify(error=f"too many requests from this address (at most {config.post_rate_limit})",
                           status=429)
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response

    return limiter
