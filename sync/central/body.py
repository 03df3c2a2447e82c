"""Reading request bodies safely: media type, size, gzip, JSON.

Any body over MAX_BODY_BYTES (2 MB) is a 413, however it is framed: with a
Content-Length that says so, chunked (which waitress buffers and measures, but
gunicorn streams with no length at all), or as gzip that inflates past the
same cap, so a gzip bomb is a 413, not an out-of-memory kill.
"""
import json
import zlib

from flask import request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.wsgi import get_input_stream

from ..protocol import MAX_BODY_BYTES

TOO_LARGE = f"the body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB"


def _raw_body(limit):
    """The body's bytes; 413 past *limit*.

    Werkzeug caps a stream without a Content-Length at the limit by stopping
    there silently, so a 3 MB chunked body would come out cut at 2 MB and be
    refused as bad JSON. Reading up to one byte past the limit tells a body of
    exactly the limit from one over it.
    """
    length = request.content_length
    if length is not None and length > limit:
        raise RequestEntityTooLarge(TOO_LARGE)
    raw = get_input_stream(request.environ, max_content_length=limit + 1).read()
    if len(raw) > limit:
        raise RequestEntityTooLarge(TOO_LARGE)
    return raw


def _gunzip(raw, limit):
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise BadRequest("the gzip body is corrupt") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise RequestEntityTooLarge(f"{TOO_LARGE} once inflated")
    if not inflater.eof:
        raise BadRequest("the gzip body is truncated")
    return data


def json_body(limit=MAX_BODY_BYTES):
    """The request's JSON document (any type); 400/413/415 when it cannot be."""
    raw = _raw_body(limit)  # first: an oversized body is a 413 whatever it claims to be
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send the body as application/json")
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "gzip":
        raw = _gunzip(raw, limit)
    elif encoding not in ("", "identity"):
        raise UnsupportedMediaType("Content-Encoding must be gzip or identity")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequest("the body is not valid JSON") from None
