"""Client addresses: who is asking, whether a list names them, and saying no without flooding the log.

The kiosk's customer screen and manager screen answer only the client
addresses their config lists (``screen_clients``, ``manager_clients``;
kiosk/web/lan_guard.py applies them). Addresses are compared in one normal form:
an IPv4-mapped IPv6 address (``::ffff:192.0.2.7``, as a server listening on
``::`` sees an IPv4 client) is the IPv4 address it carries.
"""
import ipaddress
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from kiosk.config import client_network

#: A client's address in normal form.
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

log = logging.getLogger(__name__)


def client_address(remote: str | None) -> IPAddress | None:
    """*remote* (WSGI's ``REMOTE_ADDR``) as an :mod:`ipaddress` address in normal form; None when it is none."""
    try:
        address = ipaddress.ip_address((remote or "").split("%")[0])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


class ClientList:
    """The addresses and networks of one config key (``screen_clients``, ``manager_clients``).

    >>> "192.0.2.7" in ClientList("screen_clients", ["127.0.0.1", "192.0.2.0/24"])
    True
    """

    def __init__(self, key: str, entries: Iterable[str]) -> None:
        self.key = key
        self.entries = tuple(entries)
        self._networks = tuple(client_network(entry) for entry in self.entries)

    def __contains__(self, address: object) -> bool:
        if isinstance(address, str) or address is None:
            address = client_address(address)
        if not isinstance(address, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return False
        return any(address in network for network in self._networks if network.version == address.version)

    @property
    def first(self) -> IPAddress | None:
        """The first entry's address (for ``screen_clients``: the kiosk's own screen)."""
        return client_address(self.entries[0])


class RefusalLog:
    """Logs a refused client at most once a minute per address, remembering at most *size* addresses.

    A flood from more addresses than that within a minute is said once a
    minute instead of address by address, so neither memory nor the log grows
    with what a network sends.

    :param monotonic: the clock's monotonic reading (the kiosk's injectable clock).
    """

    def __init__(self, monotonic: Callable[[], float], every: float = 60.0, size: int = 256) -> None:
        self._monotonic = monotonic
        self.every = every
        self.size = size
        self._lock = threading.Lock()
        # address -> when it was last logged, oldest first
        self._logged: OrderedDict[IPAddress | None, float] = OrderedDict()
        self._flood_said: float | None = None

    def refused(self, address: IPAddress | None, method: str, path: str, key: str) -> None:
        """Note that *address* was refused *method path* for want of a place in config key *key*."""
        now = self._monotonic()
        with self._lock:
            while self._logged and next(iter(self._logged.values())) <= now - self.every:
                self._logged.popitem(last=False)
            if address in self._logged:
                return
            if len(self._logged) >= self.size:
                if self._flood_said is None or self._flood_said <= now - self.every:
                    self._flood_said = now
                    log.warning("refused requests from more than %d addresses within a minute that are not in %s; "
                                "not logging each of them", self.size, key)
                return
            self._logged[address] = now
        log.warning("refused %s %s from %s: not in %s (add it there if it is meant to use this; "
                    "further refusals of this address are logged once a minute at most)", method, path, address, key)

    def __len__(self) -> int:
        with self._lock:
            return len(self._logged)
