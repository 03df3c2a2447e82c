"""The central API described as an OpenAPI 3.1 document at /api/v1/openapi.json.

The request documents are generated from the protocol's field lists (each
check carries its JSON Schema), so the document cannot drift from what
central enforces. tests/central/test_openapi.py checks every route against it
and the schemas against the protocol; tests/central/test_schemathesis.py fuzzes
a live central with it.
"""
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from sync.central.reports.export import MAX_DAYS
from sync.common.version import software_version
from sync.wire.protocol import (
    ACTION_FIELDS,
    CONFIG_FIELDS,
    ENROLL_FIELDS,
    ENVELOPE_FIELDS,
    ENVELOPE_LISTS,
    FILTERS,
    FUNCTIONAL,
    GROUP_KEYS,
    HEARTBEAT_FIELDS,
    MAX_BODY_BYTES,
    MAX_ROWS,
    NETWORK_FIELDS,
    RATINGS,
    SOURCES,
    TECHNICAL,
    Text,
    Uuid,
    Whole,
    object_schema,
)

bp = Blueprint("openapi", __name__)

#: The envelope's lists and the component that describes one entry of each.
ROW_SCHEMAS = {
    "boots": "Boot",
    "questions": "QuestionDefinition",
    "reasons": "ReasonDefinition",
    "ratings": "Rating",
    "followups": "Followup",
}
KIOSK_AUTH: list[dict[str, list[str]]] = [{"kioskToken": []}]
USER_AUTH: list[dict[str, list[str]]] = [{"userToken": []}]
MB = MAX_BODY_BYTES // (1024 * 1024)


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description):
    response = {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}
    if description.startswith("Unknown"):
        response["headers"] = {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}}
    return response


def _json(schema, description: str = "OK", headers=None):
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _body(schema_name):
    return {"required": True, "content": {"application/json": {"schema": _ref(schema_name)}}}


def _closed(properties, required=None):
    """An answer object: these properties, all present unless *required* says otherwise, no others."""
    return {"type": "object", "required": list(required if required is not None else properties),
            "additionalProperties": False, "properties": properties}


def _batch_schema():
    schema = object_schema(ENVELOPE_FIELDS, "Batch")
    schema["description"] = (
        f"At most {MAX_ROWS} ratings and follow-ups together and {MB} MB of JSON (also after gzip). "
        "The envelope is checked whole (422); each row on its own: a row that does not match its "
        "schema, or cites a question or reason central does not know, is named in `rejected` and "
        "the others are stored, so one bad row cannot hold back a backlog.")
    for name, (_, most) in ENVELOPE_LISTS.items():
        schema["properties"][name] = {"type": "array", "maxItems": most, "default": [],
                                      "items": _ref(ROW_SCHEMAS[name])}
    return schema


STRING = {"type": "string"}


def _kiosk_document(summary: str, schema: str, held: str) -> dict[str, Any]:
    """A document a kiosk fetches with its token, kept unchanged (304) while *held* names its ETag."""
    return {"get": {
        "summary": summary,
        "security": KIOSK_AUTH,
        "parameters": [{"name": "If-None-Match", "in": "header", "required": False, "schema": STRING,
                        "description": held}],
        "responses": {
            "200": _json(_ref(schema), headers={"ETag": {"required": True, "schema": STRING}}),
            "304": {"description": "Unchanged: If-None-Match named the current ETag"},
            "401": _error("Unknown or missing kiosk token"),
            "403": _error("Revoked kiosk, or not enrolled yet"),
        },
    }}


TIMESTAMP = {"type": "string", "format": "date-time"}
NAME = Text(120).schema
COUNT = {"type": "integer", "minimum": 0}
SEQUENCE_NUMBER = {"type": "integer", "minimum": 0}

SCHEMAS = {
    "Error": _closed({"error": {"type": "string", "minLength": 1},
                      "status": {"type": "integer", "minimum": 400, "maximum": 599}}),
    **{component: object_schema(ENVELOPE_LISTS[name][0], component) for name, component in ROW_SCHEMAS.items()},
    "Batch": _batch_schema(),
    "Enrollment": object_schema(ENROLL_FIELDS, "Enrollment"),
    "Heartbeat": object_schema(HEARTBEAT_FIELDS, "Heartbeat"),
    "Sequence": _closed({
        "contiguous": SEQUENCE_NUMBER,
        "highest": SEQUENCE_NUMBER,
        "gaps": {"type": "array", "description": "missing [first, last] ranges above contiguous, at most 50",
                 "items": {"type": "array", "items": SEQUENCE_NUMBER, "minItems": 2, "maxItems": 2}},
    }),
    "BatchResult": _closed({
        "batch_id": Uuid.schema,
        "accepted": COUNT,
        "duplicates": COUNT,
        "conflicts": {"type": "array", "items": _closed({
            "kind": {"type": "string", "enum": ["rating", "followup", "question"]},
            "id": STRING,
            "fields": {"type": "array", "items": STRING},
        })},
        "rejected": {"type": "array", "items": _closed({
            "kind": {"type": "string", "enum": ["boot", "question", "reason", "rating", "followup"]},
            "id": {"type": ["string", "null"]},
            "error": STRING,
        })},
        "stored": {"type": "array", "items": Uuid.schema, "description": "every id of the batch central now holds"},
        "sequence": _ref("Sequence"),
    }),
    "Enrolled": _closed({"kiosk": NAME, "site": NAME, "service": NAME,
                         "provider": {"type": ["string", "null"]}, "kiosk_id": Uuid.schema}),
    "HeartbeatResult": _closed({"received": {"const": True}, "sequence": _ref("Sequence")}),
    # Kiosks drop fields they do not know, so central may add some: not closed.
    "KioskConfig": object_schema(CONFIG_FIELDS, closed=False),
    "Network": object_schema(NETWORK_FIELDS, closed=False),
    "Action": object_schema(ACTION_FIELDS, "Action"),
    "ActionStored": _closed({"id": Uuid.schema, "stored": {"const": True}}),
    "ExportRow": _closed({
        "id": Uuid.schema,
        "kiosk": NAME,
        "site": NAME,
        "service": NAME,
        "provider": {"type": ["string", "null"]},
        "seq": Whole(1).schema,
        "rating": {"type": "integer", "enum": list(RATINGS)},
        "source": {"type": "string", "enum": list(SOURCES)},
        "filtered": {"type": ["string", "null"], "enum": [None, *FILTERS]},
        "reason": {"type": ["string", "null"]},
        "reason_group": {"type": ["string", "null"], "enum": [None, *GROUP_KEYS]},
        "dimension": {"type": ["string", "null"], "enum": [None, TECHNICAL, FUNCTIONAL]},
        "comment": {"type": ["string", "null"], "description": "null once redacted"},
        "question": STRING,
        "question_version": Whole(1).schema,
        "recorded_at": TIMESTAMP,
        "occurred_at": TIMESTAMP,
        "local_time": TIMESTAMP,
        "time_basis": {"type": "string", "enum": ["kiosk", "corrected", "uncorrectable"]},
        "corrected": {"type": "boolean"},
    }),
}

# Every kiosk POST reads its body the same way, after the token.
POST_REFUSALS = {
    "400": _error("Not JSON, or a corrupt or truncated gzip body"),
    "401": _error("Unknown or missing kiosk token"),
    "403": _error("Revoked kiosk, not enrolled yet, or the body names another kiosk than the token's"),
    "413": _error(f"Body over {MB} MB, whether it says so in Content-Length, is chunked, or inflates past it"),
    "415": _error("Not application/json, or a Content-Encoding other than gzip"),
    "422": _error("Malformed document: the answer names the field"),
}
DATE = {"type": "string", "format": "date", "pattern": r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}

PATHS = {
    "/api/v1/batches": {
        "post": {
            "summary": "Ship a batch of ratings and follow-ups (idempotent by UUID)",
            "security": KIOSK_AUTH,
            "requestBody": _body("Batch"),
            "responses": {
                "200": _json(_ref("BatchResult"), "Rows stored, duplicates, conflicts, rejected rows"),
                **POST_REFUSALS,
            },
        }
    },
    "/api/v1/enroll": {
        "post": {
            "summary": "Bind the kiosk's own UUID to the token's kiosk (idempotent)",
            "security": KIOSK_AUTH,
            "requestBody": _body("Enrollment"),
            "responses": {
                "200": _json(_ref("Enrolled"), "Enrolled"),
                **{status: answer for status, answer in POST_REFUSALS.items() if status != "403"},
                "403": _error("Revoked kiosk"),
                "409": _error("The token is enrolled by another device, or the device as another kiosk"),
            },
        }
    },
    "/api/v1/config": _kiosk_document("The kiosk's content (question, reasons, hours, target) with an ETag",
                                      "KioskConfig", "the ETag of the content the kiosk holds"),
    "/api/v1/network": _kiosk_document("Where the kiosk's site stands in the brand's network, with an ETag",
                                       "Network", "the ETag of the figures the kiosk holds"),
    "/api/v1/actions": {
        "post": {
            "summary": "Keep an action the kiosk's manager recorded, for the kiosk's site (idempotent by id)",
            "security": KIOSK_AUTH,
            "requestBody": _body("Action"),
            "responses": {"201": _json(_ref("ActionStored"), "Kept"),
                          "200": _json(_ref("ActionStored"), "Kept before: the same action again"),
                          "409": _error("The id is kept with other content"), **POST_REFUSALS},
        }
    },
    "/api/v1/heartbeat": {
        "post": {
            "summary": "Report the kiosk's state after every uploader pass",
            "security": KIOSK_AUTH,
            "requestBody": _body("Heartbeat"),
            "responses": {"200": _json(_ref("HeartbeatResult"), "Kept"), **POST_REFUSALS},
        }
    },
    "/api/v1/ratings": {
        "get": {
            "summary": "Export ratings, one row each, streamed",
            "description": f"`from` and `to` are local dates at each rating's site; `to` must be on or after "
                           f"`from` and at most {MAX_DAYS} days later (400 otherwise).",
            "security": USER_AUTH,
            "parameters": [
                {"name": "from", "in": "query", "required": True, "schema": DATE},
                {"name": "to", "in": "query", "required": True, "schema": DATE},
                {"name": "site", "in": "query", "schema": NAME,
                 "description": "only this site (403 when it is not one of the user's)"},
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "json"],
                                                             "default": "csv"}},
            ],
            "responses": {
                "200": {
                    "description": "Rows",
                    "content": {
                        "text/csv": {"schema": STRING},
                        "application/json": {"schema": {"type": "array", "items": _ref("ExportRow")}},
                    },
                },
                "400": _error("Bad dates, dates out of order or range, a bad site name, or a bad format"),
                "401": _error("Unknown or missing API token"),
                "403": _error("No such site, or not one of the user's"),
            },
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": _json({"type": "object", "required": ["openapi", "paths"]}, "OpenAPI 3.1")},
        }
    },
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Hymy central API",
        "version": software_version(),
        "description": "Kiosks ship ratings and follow-ups; head office exports them. "
                       "Every error is JSON {error, status}; no input gets a 5xx.",
    },
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "kioskToken": {"type": "http", "scheme": "bearer", "description": "Printed once by hymy central add-kiosk"},
            "userToken": {"type": "http", "scheme": "bearer", "description": "Printed once by hymy central add-user"},
        },
    },
}


@bp.get("/api/v1/openapi.json")
def document() -> ResponseReturnValue:
    """The OpenAPI 3 description of this API."""
    return jsonify(DOCUMENT)
