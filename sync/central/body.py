"""Reading request bodies safely: media type, size, gzip, JSON.

The raw body is capped by Flask's MAX_CONTENT_LENGTH (2 MB); a gzip body is
inflated with the same cap on its output, so a gzip bomb is a 413, not an
out-of-memory kill.
"""
import json
import zlib

from flask import request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from ..protocol import MAX_BODY_BYTES


def _gunzip(raw, limit):
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise BadRequest("the gzip body is corrupt") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise RequestEntityTooLarge(f"the inflated body is larger than {limit} bytes")
    if not inflater.eof:
        raise BadRequest("the gzip body is truncated")
    return data


def json_body(limit=MAX_BODY_BYTES):
    """The request's JSON document (any type); 400/413/415 when it cannot be."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send the body as application/json")
    raw = request.get_data(cache=False)
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "gzip":
        raw = _gunzip(raw, limit)
    elif encoding not in ("", "identity"):
        raise UnsupportedMediaType("Content-Encoding must be gzip or identity")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequest("the body is not valid JSON") from None
