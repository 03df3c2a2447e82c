"""The kiosk's HTTP client for central: one Session, timeouts, retries, TLS.

Every call has a connect and a read timeout. TLS is verified (optionally
against a given CA bundle). urllib3 retries connection errors and 502/503/504
a couple of times at once, without sleeping: every wait belongs to the
uploader's backoff, which reads the kiosk's injectable clock (urllib3's own
backoff and Retry-After would sleep on the real clock, out of reach of the
loop's stop event and of tests). POST is retried too, because every central
endpoint the kiosk posts to is idempotent (batches dedupe by UUID, enrollment
and heartbeats are upserts). A 2xx counts only when its body is the JSON
central sends: a captive portal's 200 page is an error, not a success.
"""
import gzip
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from sync.common.version import software_version
from sync.wire.errors import HymyError

if TYPE_CHECKING:
    from kiosk.storage.enrollment import Enrollment

GZIP_ABOVE_BYTES = 8 * 1024


#: Statuses that say nothing about the rows sent: the token (401/403), or
#: something between the kiosk and central asking to log in (407/511).
NOT_ABOUT_THE_ROWS = frozenset({401, 403, 407, 511})


class CentralError(HymyError, ConnectionError):
    """Central could not be reached or did not answer as central does.

    :param status: the HTTP status, or None when there was no answer.
    :param from_central: the answer was central's own JSON error.
    """

    def __init__(self, message: str, status: int | None = None, from_central: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.from_central = from_central

    @property
    def token_refused(self) -> bool:
        """Central itself refused this kiosk's token (unknown, revoked, another kiosk's)."""
        return self.from_central and self.status in (401, 403)

    @property
    def may_be_the_rows(self) -> bool:
        """Whether the rows sent could be the cause: no answer at all (a row
        central chokes on can time out) or an error status about the request.
        A 2xx that is not central's answer (a captive portal, a stranger's
        JSON) and refusals of the token or of the network are never the rows."""
        return self.status is None or (self.status >= 400 and self.status not in NOT_ABOUT_THE_ROWS)


class CentralClient:
    def __init__(
        self,
        enrollment: "Enrollment",
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        ca_bundle: str | None = None,
        retries: int = 2,
    ) -> None:
        self.enrollment = enrollment
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        # Passed on every request, not set on the Session: requests lets
        # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the environment override a
        # Session's verify, which would silently ignore the configured bundle.
        self.verify: str | bool = ca_bundle or True
        self.session.headers.update({
            "Authorization": f"Bearer {enrollment.token}",
            "User-Agent": f"hymy-kiosk/{software_version()}",
            "Accept": "application/json",
        })
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, backoff_factor=0,
                      status_forcelist=(502, 503, 504), allowed_methods=frozenset({"GET", "POST"}),
                      raise_on_status=False, respect_retry_after_header=False)
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def close(self) -> None:
        self.session.close()

    def _request(
        self, method: str, path: str, document: Any = None, headers: Mapping[str, str] | None = None
    ) -> requests.Response:
        headers = dict(headers or {})
        body = None
        if document is not None:
            body = json.dumps(document, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
            if len(body) > GZIP_ABOVE_BYTES:
                body = gzip.compress(body, compresslevel=5)
                headers["Content-Encoding"] = "gzip"
        try:
            return self.session.request(method, self.enrollment.endpoint(path), data=body, headers=headers,
                                        verify=self.verify, timeout=self.timeout)
        except requests.RequestException as error:
            raise CentralError(f"central unreachable: {type(error).__name__}") from error

    @staticmethod
    def _json(response: requests.Response, expected_keys: Iterable[str]) -> dict[str, Any]:
        """The answer's JSON object, or CentralError naming what came instead."""
        if response.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            raise CentralError(f"HTTP {response.status_code} without JSON (a proxy or captive portal?)",
                               response.status_code)
        try:
            body = response.json()
        except ValueError:
            raise CentralError(f"HTTP {response.status_code} with malformed JSON", response.status_code) from None
        if not response.ok:
            message = body.get("error") if isinstance(body, dict) else None
            raise CentralError(f"HTTP {response.status_code}: {message or 'refused'}", response.status_code,
                               from_central=isinstance(body, dict))
        if not isinstance(body, dict) or not set(expected_keys) <= set(body):
            raise CentralError(f"HTTP {response.status_code}: not central's answer", response.status_code)
        return body

    def enroll(self, kiosk_id: str) -> dict[str, Any]:
        document = {"kiosk_id": kiosk_id, "software_version": software_version()}
        response = self._request("POST", "/api/v1/enroll", document)
        return self._json(response, ("kiosk", "site", "kiosk_id"))

    def send_batch(self, batch: dict[str, Any]) -> dict[str, Any]:
        response = self._request("POST", "/api/v1/batches", batch)
        return self._json(response, ("batch_id", "stored", "rejected", "conflicts", "sequence"))

    def heartbeat(self, report: dict[str, Any]) -> dict[str, Any]:
        return self._json(self._request("POST", "/api/v1/heartbeat", report), ("received", "sequence"))

    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        """Send one of the manager's actions; central keeps it once by its id (201 new, 200 again).

        :raises CentralError: with status 409 (the id is kept with other content) or 422 (refused) when
            central will never keep it; other statuses and no answer are worth another try.
        """
        return self._json(self._request("POST", "/api/v1/actions", action), ("id", "stored"))

    def fetch_network(self, etag: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
        """``(document, etag)`` of the kiosk's network document, or ``(None, etag)`` when unchanged; a
        CentralError with status 404 from an older central that has none."""
        response = self._request("GET", "/api/v1/network", headers={"If-None-Match": f'"{etag}"'} if etag else None)
        if response.status_code == 304:
            return None, etag
        document = self._json(response, ("generated_at", "periods"))
        return document, response.headers.get("ETag", "").strip('"') or None

    def fetch_config(self, etag: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
        """``(document, etag)``, or ``(None, etag)`` when unchanged since *etag*."""
        response = self._request("GET", "/api/v1/config", headers={"If-None-Match": f'"{etag}"'} if etag else None)
        if response.status_code == 304:
            return None, etag
        document = self._json(response, ("question", "reasons", "timezone"))
        return document, response.headers.get("ETag", "").strip('"') or None
