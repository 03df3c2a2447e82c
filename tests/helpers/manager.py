"""The manager screen behind its PIN: signing in as the store manager does."""
import re
from html import unescape

PIN = "2468"


def sign_in(client, pin=PIN):
    return client.post("/manager/login", data={"pin": pin, "csrf_token": token(client)})


def signed_in(client):
    """True when /manager shows the manager's pages, not the PIN pad."""
    return 'data-page="today"' in text(client.get("/manager"))


def token(client, path="/manager"):
    """The CSRF token *path* gives its forms (and its script)."""
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def text(response):
    return unescape(response.get_data(as_text=True))


TOKEN = re.compile(r'data-csrf="([^"]+)"')
