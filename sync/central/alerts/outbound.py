"""Where a webhook may go: https to a host on the public internet, unless central's config says otherwise.

A webhook URL comes from an admin, but central posts to it from inside the
network it runs in: left unchecked, ``http://169.254.169.254/…`` (a cloud's
metadata service) or ``http://127.0.0.1:5432`` would be reached from there,
and the delivery error logged would tell whether something answers. So a URL
must be ``https`` unless ``webhook_allow_http = true``, and every address its
host resolves to must be globally reachable unless ``webhook_allow_private =
true`` (:func:`address_problem`: loopback, private, link-local, shared
(CGNAT), multicast, unspecified, documentation and reserved ranges are not;
an IPv6 address that carries an IPv4 one — IPv4-mapped ``::ffff:a.b.c.d``,
6to4, NAT64's ``64:ff9b::/96`` — is judged by the IPv4 address it reaches).

The rule is checked twice. When a rule is saved, :func:`url_problem` resolves
the host and refuses the URL with one line. When an alert is posted, the
address is checked again on the connection itself (:class:`CheckedAdapter`),
since DNS may answer differently by then (a rebinding name answers a public
address to the check and ``127.0.0.1`` to the connection). The connection
resolves the host once, refuses it when any address it got is not allowed,
and connects to the addresses it checked, by number: there is no second
lookup for an attacker's DNS to answer differently. Only the socket goes to
the number; the request keeps the URL's host name for the ``Host`` header,
TLS's SNI and certificate check, so https verifies exactly as it would
without the check. After connecting, the peer's address is read from the
socket and checked once more. Proxies from the environment are not used
(a proxy would be the address connected to, and would reach anything; a CA
bundle named in ``REQUESTS_CA_BUNDLE`` still is), and redirects are never
followed (sync/central/alerts/delivery.py).
"""
import ipaddress
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import create_connection

from sync.wire.protocol import text_problem

if TYPE_CHECKING:
    from sync.central.config import CentralConfig

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL = 2000
#: NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address reached.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class WebhookPolicy:
    """What central's config allows a webhook (``webhook_allow_http``, ``webhook_allow_private``)."""

    allow_http: bool = False
    allow_private: bool = False

    @classmethod
    def from_config(cls, config: "CentralConfig") -> "WebhookPolicy":
        return cls(config.webhook_allow_http, config.webhook_allow_private)


def _reached(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries and reaches, else *ip* itself."""
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def address_problem(address: str) -> str | None:
    """What *address* (an IP address as text) is when a webhook may not go there — ``a loopback
    address``, ``a private address`` … — or None when it may."""
    try:
        ip = _reached(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return "not an IP address"
    for kind, test in (("an unspecified", ip.is_unspecified), ("a loopback", ip.is_loopback),
                       ("a link-local", ip.is_link_local), ("a multicast", ip.is_multicast),
                       ("a reserved", ip.is_reserved), ("a private", ip.is_private)):
        if test:
            return f"{kind} address"
    if not ip.is_global:
        return "not a public address"
    return None


def _said(host, address, problem):
    """One line on why *host* (at *address*) is refused."""
    return f"{address} is {problem}" if host == address else f"{host} resolves to {address}, {problem}"


def _addresses(host, port):
    """Every address *host* resolves to (one lookup), as text; socket.gaierror when none."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(sockaddr[0] for _, _, _, _, sockaddr in found))


def _first_refused(host, addresses):
    """One line on the first of *addresses* a webhook may not go to, or None when it may go to all."""
    for address in addresses:
        if problem := address_problem(address):
            return _said(host, address, problem)
    return None


def _port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        return None
    return port if port is not None else 443 if parts.scheme == "https" else 80


def url_problem(url: str, policy: WebhookPolicy) -> str | None:
    """Why *url* cannot be a webhook under *policy*, as one line (None when it can).

    Resolves the host, unless private addresses are allowed anyway.
    """
    if len(url) > MAX_URL or text_problem(url) or any(c.isspace() for c in url):
        return "expected an https:// URL"
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018 - a malformed [IPv6] host raises only when read
    except ValueError:
        return "expected an https:// URL"
    if parts.scheme == "http" and not policy.allow_http and parts.hostname:
        return "expected an https:// URL (plain http only with webhook_allow_http = true in central's config)"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "expected an https:// URL"
    port = _port(parts)
    if port is None:
        return "the URL's port is not a number from 0 to 65535"
    if policy.allow_private:
        return None
    try:
        problem = _first_refused(parts.hostname, _addresses(parts.hostname, port))
    except (socket.gaierror, UnicodeError) as error:
        return f"{parts.hostname} does not resolve ({getattr(error, 'strerror', None) or error})"
    if problem:
        return f"{problem} (allowed only with webhook_allow_private = true in central's config)"
    return None


class AddressRefused(NewConnectionError):
    """The webhook's host resolved (or connected) to an address the policy refuses: nothing was sent.
    :attr:`detail` says which, in one line."""

    def __init__(self, connection: Any, detail: str) -> None:
        super().__init__(connection, detail)
        self.detail = detail


def _connect_checked(connection: Any) -> socket.socket:
    """A socket to one of *connection*'s host's addresses, each checked before and after connecting."""
    host, port = connection._dns_host, connection.port
    try:
        addresses = _addresses(host, port)
    except socket.gaierror as error:
        raise NameResolutionError(connection.host, connection, error) from error
    if problem := _first_refused(host, addresses):
        raise AddressRefused(connection, problem)
    failure: Exception = NewConnectionError(connection, f"{host} has no address")
    for address in addresses:  # by number: the addresses just checked, with no second lookup
        try:
            sock = create_connection((address, port), connection.timeout, source_address=connection.source_address,
                                     socket_options=connection.socket_options)
        except TimeoutError as error:
            failure = ConnectTimeoutError(connection, f"Connection to {host} timed out")
            failure.__cause__ = error
            continue
        except OSError as error:
            failure = NewConnectionError(connection, f"Failed to establish a new connection: {error}")
            continue
        peer = sock.getpeername()[0]
        if problem := address_problem(peer):
            sock.close()
            raise AddressRefused(connection, f"{host} connected to {peer}, {problem}")
        return sock
    raise failure


class _CheckedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _connect_checked(self)


class _CheckedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _connect_checked(self)


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class CheckedAdapter(HTTPAdapter):
    """A requests transport whose connections go only to public addresses, checked on the connection."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


def webhook_session(policy: WebhookPolicy) -> requests.Session:
    """A requests session for webhooks under *policy*: environment proxies off, and unless private
    addresses are allowed, every connection checked (:class:`CheckedAdapter`)."""
    session = requests.Session()
    session.trust_env = False  # no proxy (nor .netrc) from the environment: a proxy would reach anything
    # A CA bundle named there still counts, as requests reads it (a receiver behind an in-house CA).
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    if not policy.allow_private:
        for prefix in ("http://", "https://"):
            session.mount(prefix, CheckedAdapter())
    return session


def refusal(error: BaseException) -> AddressRefused | None:
    """The :class:`AddressRefused` behind a requests ConnectionError, if that is what it is."""
    retries = error.args[0] if error.args else None  # urllib3's MaxRetryError; its reason, the connection's
    reason = getattr(retries, "reason", None)
    return reason if isinstance(reason, AddressRefused) else None
