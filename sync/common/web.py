"""HTTP plumbing the kiosk's API and central share: JSON bodies read safely,
and errors answered as JSON (or, where the app has pages, as a page to a browser).

Any body over the limit is a 413, however it is framed: with a Content-Length
that says so, chunked (which waitress buffers and measures, but gunicorn
streams with no length at all), or as gzip that inflates past the same cap, so
a gzip bomb is a 413, not an out-of-memory kill. An error answer keeps the
headers werkzeug gives it (``Allow`` on a 405, ``Retry-After`` on a 429 or 503,
``WWW-Authenticate`` on a 401) beside its JSON body.
"""
import json
import logging
import zlib
from collections.abc import Callable
from typing import IO, Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)
from werkzeug.wsgi import get_input_stream

#: What a Flask view or error handler may return.
Answer = Response | HTTPException | tuple[Any, ...] | str

log = logging.getLogger(__name__)

NOT_JSON = "send the body as application/json"
#: A refused body is read to its end, so the 413 reaches the client through a proxy, up to this size.
DRAIN_AT_MOST = 32 * 1024 * 1024


def too_large(limit: int) -> str:
    """The 413 message for *limit* bytes, in the unit a person reads."""
    if limit >= 1024 * 1024:
        return f"the body is larger than {limit // (1024 * 1024)} MB"
    return f"the body is larger than {limit // 1024} KB"


def _raw_body(limit: int) -> bytes:
    """The body's bytes; 413 past *limit*.

    Werkzeug caps a stream without a Content-Length at the limit by stopping
    there silently, so a chunked body over it would come out cut and be
    refused as bad JSON. Reading up to one byte past the limit tells a body of
    exactly the limit from one over it.
    """
    length = request.content_length
    if length is not None and length > limit:
        if length <= DRAIN_AT_MOST:
            _drain(get_input_stream(request.environ))  # nothing read yet: exactly the body
        raise RequestEntityTooLarge(too_large(limit))
    raw = get_input_stream(request.environ, max_content_length=limit + 1).read()
    if len(raw) > limit:
        if "wsgi.input_terminated" in request.environ:  # chunked: the server ends the stream with the body
            _drain(request.environ["wsgi.input"])
        raise RequestEntityTooLarge(too_large(limit))
    return raw


def _drain(stream: IO[bytes]) -> None:
    """Read the rest of a refused body (up to DRAIN_AT_MOST) and drop it.

    A server that answers before the body has all arrived closes the connection on unread bytes,
    which resets it: a reverse proxy still sending the body (nginx, Caddy) then loses the answer,
    and its client gets a 502 instead of the 413.
    """
    left = DRAIN_AT_MOST
    while left > 0 and (chunk := stream.read(min(left, 64 * 1024))):
        left -= len(chunk)


def _gunzip(raw: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise BadRequest("the gzip body is corrupt") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise RequestEntityTooLarge(f"{too_large(limit)} once inflated")
    if not inflater.eof:
        raise BadRequest("the gzip body is truncated")
    return data


def json_body(limit: int, gzip: bool = False) -> Any:
    """The request's JSON document (any type); 400/413/415 when it cannot be.

    :param limit: the most bytes the body may have (also once inflated).
    :param gzip: accept ``Content-Encoding: gzip``.
    """
    raw = _raw_body(limit)  # first: an oversized body is a 413 whatever it claims to be
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(NOT_JSON)
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "gzip" and gzip:
        raw = _gunzip(raw, limit)
    elif encoding not in ("", "identity"):
        raise UnsupportedMediaType("Content-Encoding must be gzip or identity" if gzip else
                                   "Content-Encoding must be identity")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequest("the body is not valid JSON") from None


def json_error(status: int, message: str, error: HTTPException | None = None) -> Response:
    """A JSON error answer ``{"error", "status"}``; with *error* (an HTTPException) its headers too."""
    response = jsonify(error=message, status=status)
    response.status_code = status
    if error is not None:
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers.add(name, value)
    return response


def prefers_html() -> bool:
    """True when the client would rather have a page than JSON: its ``Accept`` ranks ``text/html`` above
    ``application/json``, as a browser's does (``*/*`` alone, as curl and most API clients send, is JSON)."""
    accept = request.accept_mimetypes
    return accept.quality("text/html") > accept.quality("application/json")


def answer_errors_as_json(
    app: Flask,
    limit: int,
    wants_json: Callable[[], bool] = lambda: True,
    page: Callable[[HTTPException], Answer] | None = None,
) -> None:
    """Answer HTTP errors and unexpected exceptions as JSON where *wants_json*; elsewhere an HTTP error
    is *page*'s answer (werkzeug's own when there is no *page*), and so is an unexpected exception
    (as a 500) when there is one.

    Werkzeug's own descriptions are prose for browsers; ours say what to fix.

    :param page: ``page(error)`` -> a response for an :class:`HTTPException`, for clients that get pages.
    """

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Answer:
        if not wants_json():
            return page(error) if page is not None else error
        own = error.description != type(error).description
        code = error.code or 500  # every werkzeug error sets one
        friendly = {413: too_large(limit), 415: NOT_JSON}
        message = (error.description if own else friendly.get(code, error.description)) or error.name
        return json_error(code, message, error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Answer:
        log.exception("unexpected error on %s %s", request.method, request.path)
        if page is not None and not wants_json():
            return page(InternalServerError())
        return json_error(500, "internal error; the server logged the detail")
