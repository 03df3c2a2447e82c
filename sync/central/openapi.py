"""The central API described as an OpenAPI 3 document at /api/v1/openapi.json.

tests/test_central_openapi.py checks every route of the app against it, so a
new endpoint cannot ship undocumented.
"""

from flask import Blueprint, jsonify

from kiosk import __version__

bp = Blueprint("openapi", __name__)


def _error(description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(schema_ref, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


KIOSK_AUTH = [{"kioskToken": []}]
USER_AUTH = [{"userToken": []}]
TIME = {"type": "string", "format": "date-time"}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "status"],
        "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
    },
    "Rating": {
        "type": "object",
        "required": [
            "id",
            "seq",
            "question_id",
            "question_version",
            "rating",
            "source",
            "recorded_at",
            "clock_trusted",
            "boot_id",
            "monotonic",
            "filtered",
        ],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "seq": {"type": "integer", "minimum": 1},
            "question_id": {"type": "string"},
            "question_version": {"type": "integer"},
            "rating": {"type": "integer", "minimum": 1, "maximum": 4},
            "source": {"enum": ["touch", "button"]},
            "recorded_at": TIME,
            "clock_trusted": {"type": "boolean"},
            "boot_id": {"type": "string"},
            "monotonic": {"type": "number"},
            "filtered": {"enum": [None, "repeat", "closed", "unverified"]},
        },
    },
    "Followup": {
        "type": "object",
        "required": [
            "id",
            "rating_id",
            "reason",
            "reason_group",
            "comment",
            "recorded_at",
            "clock_trusted",
            "boot_id",
            "monotonic",
        ],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "rating_id": {"type": "string", "format": "uuid"},
            "reason": {"type": "string"},
            "reason_group": {"type": "string"},
            "comment": {"type": ["string", "null"], "maxLength": 500},
            "recorded_at": TIME,
            "clock_trusted": {"type": "boolean"},
            "boot_id": {"type": "string"},
            "monotonic": {"type": "number"},
        },
    },
    "Batch": {
        "type": "object",
        "required": ["batch_id", "kiosk_id", "software_version", "sent_at", "boot_id", "monotonic", "clock_trusted"],
        "properties": {
            "batch_id": {"type": "string", "format": "uuid"},
            "kiosk_id": {"type": "string", "format": "uuid"},
            "software_version": {"type": "string"},
            "sent_at": TIME,
            "boot_id": {"type": "string"},
            "monotonic": {"type": "number"},
            "clock_trusted": {"type": "boolean"},
            "boots": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "boot_id": {"type": "string"},
                        "trusted_wall": TIME,
                        "trusted_monotonic": {"type": "number"},
                    },
                },
            },
            "questions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "version": {"type": "integer"},
                        "texts": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
            },
            "reasons": {
                "type": "array",
                "items": {"type": "object", "properties": {"key": {"type": "string"}, "group": {"type": "string"}}},
            },
            "ratings": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/Rating"}},
            "followups": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/Followup"}},
        },
    },
    "Sequence": {
        "type": "object",
        "properties": {
            "contiguous": {"type": "integer"},
            "highest": {"type": "integer"},
            "gaps": {
                "type": "array",
                "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
            },
        },
    },
    "BatchResult": {
        "type": "object",
        "properties": {
            "batch_id": {"type": "string"},
            "accepted": {"type": "integer"},
            "duplicates": {"type": "integer"},
            "conflicts": {"type": "array", "items": {"type": "object"}},
            "rejected": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string"},
                        "id": {"type": ["string", "null"]},
                        "error": {"type": "string"},
                    },
                },
            },
            "stored": {"type": "array", "items": {"type": "string"}},
            "sequence": {"$ref": "#/components/schemas/Sequence"},
        },
    },
    "KioskConfig": {
        "type": "object",
        "properties": {
            "kiosk": {"type": "string"},
            "site": {"type": "string"},
            "service": {"type": "string"},
            "provider": {"type": ["string", "null"]},
            "timezone": {"type": "string"},
            "opening_hours": {"type": "object"},
            "question": {"type": ["object", "null"]},
            "reasons": {"type": "array", "items": {"type": "object"}},
            "target": {"type": ["number", "null"]},
        },
    },
    "Heartbeat": {
        "type": "object",
        "required": [
            "kiosk_id",
            "software_version",
            "pending",
            "quarantined",
            "boot_id",
            "wall",
            "monotonic",
            "clock_trusted",
        ],
        "properties": {
            "kiosk_id": {"type": "string"},
            "software_version": {"type": "string"},
            "pending": {"type": "integer"},
            "oldest_pending_seconds": {"type": ["number", "null"]},
            "quarantined": {"type": "integer"},
            "boot_id": {"type": "string"},
            "wall": TIME,
            "monotonic": {"type": "number"},
            "clock_trusted": {"type": "boolean"},
            "free_disk_bytes": {"type": ["integer", "null"]},
            "gap_error": {"type": ["string", "null"]},
        },
    },
}

PATHS = {
    "/api/v1/batches": {
        "post": {
            "summary": "Ship a batch of ratings and follow-ups (idempotent by UUID)",
            "security": KIOSK_AUTH,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Batch"}}},
            },
            "responses": {
                "200": _json("#/components/schemas/BatchResult", "Rows stored, duplicates, conflicts, rejected"),
                "400": _error("Not JSON"),
                "401": _error("Unknown token"),
                "403": _error("Revoked kiosk, not enrolled, or another kiosk's batch"),
                "413": _error("Body over 2 MB (also after gzip)"),
                "415": _error("Not application/json"),
                "422": _error("Malformed batch envelope"),
            },
        }
    },
    "/api/v1/enroll": {
        "post": {
            "summary": "Bind the kiosk's own UUID to the token's kiosk",
            "security": KIOSK_AUTH,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "kiosk_id": {"type": "string", "format": "uuid"},
                                "software_version": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "Enrolled"},
                "401": _error("Unknown token"),
                "403": _error("Revoked"),
                "409": _error("Token enrolled by another device"),
                "422": _error("Malformed body"),
            },
        }
    },
    "/api/v1/config": {
        "get": {
            "summary": "The kiosk's content (question, reasons, hours, target) with an ETag",
            "security": KIOSK_AUTH,
            "responses": {
                "200": _json("#/components/schemas/KioskConfig"),
                "304": {"description": "Unchanged"},
                "401": _error("Unknown token"),
                "403": _error("Revoked"),
            },
        }
    },
    "/api/v1/heartbeat": {
        "post": {
            "summary": "Report the kiosk's state after every uploader pass",
            "security": KIOSK_AUTH,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Heartbeat"}}},
            },
            "responses": {
                "200": {"description": "Kept"},
                "401": _error("Unknown token"),
                "403": _error("Revoked"),
                "422": _error("Malformed body"),
            },
        }
    },
    "/api/v1/ratings": {
        "get": {
            "summary": "Export ratings, one row each, streamed",
            "security": USER_AUTH,
            "parameters": [
                {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                {"name": "site", "in": "query", "schema": {"type": "string"}},
                {"name": "format", "in": "query", "schema": {"enum": ["csv", "json"], "default": "csv"}},
            ],
            "responses": {
                "200": {"description": "Rows", "content": {"text/csv": {}, "application/json": {}}},
                "400": _error("Bad dates or format"),
                "401": _error("Unknown token"),
                "403": _error("Not one of the user's sites"),
            },
        }
    },
    "/api/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3"}}}},
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Hymy central API",
        "version": __version__,
        "description": "Kiosks ship ratings and follow-ups; head office exports them.",
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
def document():
    """The OpenAPI 3 description of this API."""
    return jsonify(DOCUMENT)
