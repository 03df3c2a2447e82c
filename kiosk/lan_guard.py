"""What changes when the kiosk listens on a network address, not loopback.

On loopback only this machine's own screen can reach the kiosk, and nothing
here applies. On a network address (``host`` such as ``0.0.0.0``) anyone on the
LAN can, so the kiosk

- answers only the ``Host`` names in ``allowed_hosts``: a page elsewhere that
  resolves its own name to the kiosk (DNS rebinding) gets 400, not the API;
- limits POSTs per client address to ``post_rate_limit`` (Flask-Limiter, in
  memory: the kiosk is one process), 429 with ``Retry-After`` past it; the
  kiosk's own screen on loopback is never limited;
- says so once at start (:func:`network_warning`).
"""
import ipaddress
import math
import re
import time

from flask import jsonify, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from werkzeug.exceptions import BadRequest

LOOPBACK_NAMES = ("localhost",)

# host[:port] with the host a name, an IPv4 address or a bracketed IPv6 address.
_HOST_HEADER = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::[0-9]{1,5})?", re.IGNORECASE)


def is_loopback(address):
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


def _normal_host(name):
    """*name* lower-cased without brackets; an IP address in its canonical form."""
    name = name.strip().strip("[]").lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name


def host_of(header):
    """The host name in a ``Host`` header value, normalised; None when malformed."""
    found = _HOST_HEADER.fullmatch(header or "")
    return _normal_host(found.group("name")) if found else None


class UntrustedHost(BadRequest):
    description = "this kiosk does not answer to that host name (see allowed_hosts)"


def network_warning(config):
    """The line printed at start when *config* listens beyond loopback, else None."""
    if is_loopback(config.host):
        return None
    return (
        f"listening on {config.host}, reachable from the network: answering only Host "
        f"{', '.join(config.allowed_hosts)}; POSTs limited to {config.post_rate_limit} per client address "
        f"(this machine's own screen is not limited)"
    )


def init_app(app):
    """Guard *app* when its ``host`` is not loopback; otherwise leave it as it is."""
    config = app.config["HYMY"]
    if is_loopback(config.host):
        return None
    allowed = {_normal_host(name) for name in config.allowed_hosts}

    # Registered before the limiter's own hook, so a refused Host costs no rate budget.
    @app.before_request
    def _check_host():
        if host_of(request.headers.get("Host")) not in allowed:
            raise UntrustedHost()

    limiter = Limiter(
        key_func=lambda: request.remote_addr or "",
        app=app,
        application_limits=[ApplicationLimit(config.post_rate_limit, methods=["POST"])],
        storage_uri="memory://",
        headers_enabled=False,
    )

    @limiter.request_filter
    def _own_screen():
        return is_loopback(request.remote_addr)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error):
        current = limiter.current_limit
        wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
        response = jsonify(error=f"too many requests from this address (at most {config.post_rate_limit})",
                           status=429)
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response

    return limiter
