"""HTTP from a chosen local source address.

On Linux every address of 127.0.0.0/8 is this machine's own, so a client bound
to 127.0.0.3 reaches a kiosk listening on 127.0.0.1 (or 0.0.0.0) over real
TCP, and the kiosk sees 127.0.0.3 as the client's address: a client its lists
do not name, just as a device on the shop's network would be.
"""
import requests
from requests.adapters import HTTPAdapter


class FromAddress(HTTPAdapter):
    """Every connection of the session leaves from *address* (any free port)."""

    def __init__(self, address, **kwargs):
        self.address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def session_from(address):
    """A :class:`requests.Session` whose connections come from *address*; close it (or use ``with``)."""
    session = requests.Session()
    adapter = FromAddress(address)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
