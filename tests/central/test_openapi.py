"""/api/v1/openapi.json describes exactly the routes the central app serves, and its request
schemas are exactly the protocol's checks: the same fields, the same required ones, and for any
value the check and the schema say the same (tests/central/test_schemathesis.py then fuzzes it).
"""
import json
import re

import jsonschema_rs
import pytest

from sync.central.reports.export import COLUMNS
from sync.central.web import TOKEN_BLUEPRINTS
from sync.central.web.openapi import ROW_SCHEMAS
from sync.wire.protocol import (
    BOOT_FIELDS,
    ENROLL_FIELDS,
    ENVELOPE_FIELDS,
    ENVELOPE_LISTS,
    FOLLOWUP_FIELDS,
    HEARTBEAT_FIELDS,
    MAX_ROWS,
    QUESTION_FIELDS,
    RATING_FIELDS,
    REASON_FIELDS,
    RowError,
    check_row,
)
from tests.helpers.batches import batch, followup_row, rating_row

#: Request components and the protocol field lists they are generated from.
REQUEST_SCHEMAS = {
    "Rating": RATING_FIELDS,
    "Followup": FOLLOWUP_FIELDS,
    "Boot": BOOT_FIELDS,
    "QuestionDefinition": QUESTION_FIELDS,
    "ReasonDefinition": REASON_FIELDS,
    "Enrollment": ENROLL_FIELDS,
    "Heartbeat": HEARTBEAT_FIELDS,
}

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def app_routes(app):
    """The API's routes: those of the token blueprints (head office's HTML pages are not an API)."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.partition(".")[0] not in TOKEN_BLUEPRINTS:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def documented_routes(document):
    return {(path, method) for path, item in document["paths"].items() for method in item if method in HTTP_METHODS}


def resolve(document, ref):
    assert ref.startswith("#/"), f"only local references expected: {ref}"
    node = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def test_every_route_is_documented_and_every_documented_route_exists(central):
    document = central.request("GET", "/api/v1/openapi.json").json()
    served, documented = app_routes(central.app), documented_routes(document)
    assert served, "the app serves no routes?"
    assert served - documented == set(), "served but not in the OpenAPI document"
    assert documented - served == set(), "documented but not served"


def test_the_document_is_structurally_valid_openapi_3(central):
    document = central.request("GET", "/api/v1/openapi.json").json()

    assert re.fullmatch(r"3\.\d+\.\d+", document["openapi"])
    assert document["info"]["title"] and document["info"]["version"]
    schemes = document["components"]["securitySchemes"]
    for path, item in document["paths"].items():
        assert path.startswith("/")
        for method, operation in item.items():
            assert method in HTTP_METHODS, f"{path}: {method} is not an HTTP method"
            assert operation["responses"], f"{method.upper()} {path} has no responses"
            for status, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5](\d\d|XX)|default", status), f"{method.upper()} {path}: {status}"
                assert response.get("description") or "$ref" in response
            for requirement in operation.get("security", []):
                assert set(requirement) <= set(schemes)
            for parameter in operation.get("parameters", []):
                assert parameter["in"] in ("query", "header", "path", "cookie") and parameter["name"]
    refs = list(references(document))
    assert refs
    for ref in refs:
        resolve(document, ref)


def fetch_document(central):
    return central.request("GET", "/api/v1/openapi.json").json()


def validator(document, component):
    """A JSON Schema validator for *component*, with the document's other components in reach."""
    return jsonschema_rs.validator_for({**document, "$ref": f"#/components/schemas/{component}"},
                                       validate_formats=True)


def body_schema(document, path):
    return document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]


def test_the_request_schemas_are_the_protocols_field_lists(central):
    document = fetch_document(central)
    schemas = document["components"]["schemas"]
    for component, fields in REQUEST_SCHEMAS.items():
        schema = schemas[component]
        assert list(schema["properties"]) == list(fields), component
        assert schema["required"] == list(fields), f"{component}: the protocol requires every field"
        assert schema["additionalProperties"] is False, f"{component}: the protocol refuses unknown fields"
        for name, check in fields.items():
            assert schema["properties"][name] == json.loads(json.dumps(check.schema)), f"{component}.{name}"
    assert body_schema(document, "/api/v1/enroll") == {"$ref": "#/components/schemas/Enrollment"}
    assert body_schema(document, "/api/v1/heartbeat") == {"$ref": "#/components/schemas/Heartbeat"}


def test_the_batch_schema_is_the_envelope_and_its_lists_with_the_protocols_limits(central):
    document = fetch_document(central)
    batch_schema = document["components"]["schemas"]["Batch"]
    assert body_schema(document, "/api/v1/batches") == {"$ref": "#/components/schemas/Batch"}
    assert list(batch_schema["properties"]) == [*ENVELOPE_FIELDS, *ENVELOPE_LISTS]
    assert batch_schema["required"] == list(ENVELOPE_FIELDS), "the lists may be left out"
    assert batch_schema["additionalProperties"] is False
    assert set(ROW_SCHEMAS) == set(ENVELOPE_LISTS)
    for name, (fields, most) in ENVELOPE_LISTS.items():
        listed = batch_schema["properties"][name]
        assert listed["type"] == "array" and listed["maxItems"] == most, name
        component = listed["items"]["$ref"].rsplit("/", 1)[1]
        assert REQUEST_SCHEMAS[component] is fields, name
    assert batch_schema["properties"]["ratings"]["maxItems"] == MAX_ROWS
    assert f"{MAX_ROWS} ratings and follow-ups together" in batch_schema["description"]


def test_every_answer_the_server_gives_is_documented(central):
    paths = fetch_document(central)["paths"]
    for path in ("/api/v1/batches", "/api/v1/heartbeat", "/api/v1/enroll"):
        assert {"200", "400", "401", "403", "413", "415", "422"} <= set(paths[path]["post"]["responses"]), path
    assert "409" in paths["/api/v1/enroll"]["post"]["responses"]
    assert {"200", "304", "401", "403"} <= set(paths["/api/v1/config"]["get"]["responses"])
    assert {"200", "400", "401", "403"} <= set(paths["/api/v1/ratings"]["get"]["responses"])
    assert set(fetch_document(central)["components"]["schemas"]["ExportRow"]["properties"]) == set(COLUMNS)


UUID = "5f0c6b3e-1d2a-4c8e-9b7a-0e1f2a3b4c5d"
PROBES = [
    None, True, False, 0, 1, -1, 4, 4.0, 4.5, 7, 1000.0, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 1e10, 1e10 + 1,
    1e12, -1e12, 1e13, "", "x", "1", "x" * 40, "x" * 41, "x" * 64, "x" * 65, "x" * 200, "x" * 201, "x" * 500,
    "x" * 501, "two\nlines", "a\ttab", "a\x00b", "bell\x07", "del\x7f", "c1\x85", "rtl\u202eevil",
    "isolate\u2066x", "mark\u200e", "Grüße ☺ 日本", UUID, UUID.upper(), "{" + UUID + "}", UUID.replace("-", ""),
    "urn:uuid:" + UUID, "2026-01-05T12:00:00Z", "2026-01-05T12:00:00.123456Z", "2026-01-05T12:00:00.1234567Z",
    "2026-01-05T14:00:00+02:00", "2026-01-05T12:00:00-23:59", "2026-01-05T12:00:00z", "2026-01-05t12:00:00Z",
    "2026-01-05 12:00:00Z", "2026-01-05T12:00Z", "2026-01-05T12:00:00", "2026-01-05", "2026-02-30T12:00:00Z",
    "2026-01-05T23:59:60Z", "1999-12-31T23:59:59Z", "2100-12-31T23:59:59Z", "2101-01-01T00:00:00Z",
    "2026-01-05T12:00:00+0200", "20260105T120000Z", "touch", "button", "Touch", "repeat", "closed", "unverified",
    "lunch", "outcome", "attitude", "staff", [], [1], {}, {"en": "How was it?"}, {"e": "x"}, {"en": ""},
    {"en-GB": "x", "fi": "y"}, {"en1": "x"}, {"english-x": "x"}, {f"l{chr(97 + n)}": "x" for n in range(11)},
    {"en": "x" * 201}, {"en": 3},
]
CHECKS = {f"{component}.{name}": check for component, fields in REQUEST_SCHEMAS.items()
          for name, check in fields.items()}
CHECKS.update({f"Batch.{name}": check for name, check in ENVELOPE_FIELDS.items()})


def accepted(check, value):
    try:
        check(value)
    except RowError:
        return False
    return True


@pytest.mark.parametrize("field", sorted(CHECKS))
def test_the_check_and_its_schema_agree_on_every_probe(field):
    check = CHECKS[field]
    schema = jsonschema_rs.validator_for(check.schema, validate_formats=True)
    disagreements = [value for value in PROBES if accepted(check, value) != schema.is_valid(value)]
    assert disagreements == [], f"{field}: the check and its JSON Schema differ on these values"


def test_a_whole_number_written_with_a_decimal_point_is_that_number():
    """JSON (and JSON Schema's "integer") does not tell 4 from 4.0; neither does central."""
    row = dict(rating_row(1), rating=4.0, seq=1.0, question_version=1.0)
    clean = check_row(row, RATING_FIELDS)
    assert (clean["rating"], clean["seq"], clean["question_version"]) == (4, 1, 1)
    assert all(type(clean[name]) is int for name in ("rating", "seq", "question_version"))


def test_real_answers_match_their_documented_schemas(central):
    document = fetch_document(central)
    token, device = central.enrolled_kiosk()
    assert validator(document, "Enrolled").is_valid(central.enroll(token, device).json())

    first = rating_row(1)
    document_in = batch(device, [first, rating_row(3), {"not": "a rating"}],
                        [followup_row(first, comment="slow"), followup_row(first, reason="nonsense")])
    answer = central.post_batch(token, document_in).json()
    assert answer["accepted"] and answer["rejected"] and answer["sequence"]["gaps"], answer
    validator(document, "BatchResult").validate(answer)
    changed = dict(first, rating=1)
    conflicting = central.post_batch(token, batch(device, [changed])).json()
    assert conflicting["conflicts"], conflicting
    validator(document, "BatchResult").validate(conflicting)

    heartbeat = {"kiosk_id": device, "software_version": "1.2.3", "pending": 0, "oldest_pending_seconds": None,
                 "quarantined": 0, "boot_id": "boot-a", "wall": "2026-01-05T11:59:00Z", "monotonic": 42.0,
                 "clock_trusted": True, "free_disk_bytes": None, "gap_error": None}
    assert validator(document, "Heartbeat").is_valid(heartbeat)
    validator(document, "HeartbeatResult").validate(central.request("POST", "/api/v1/heartbeat", token,
                                                                     json=heartbeat).json())
    config = central.request("GET", "/api/v1/config", token)
    validator(document, "KioskConfig").validate(config.json())
    assert config.headers["ETag"]
    unchanged = central.request("GET", "/api/v1/config", token, headers={"If-None-Match": config.headers["ETag"]})
    assert unchanged.status_code == 304

    _, user_token = central.add_user("olli", "admin")
    rows = central.export_json(user_token, from_="2026-01-01", to="2026-01-31")
    assert rows
    for row in rows:
        validator(document, "ExportRow").validate(row)
    for refused in (central.request("POST", "/api/v1/batches", "hymy_k_unknown", json={}),
                    central.export(user_token, from_="2026-01-31", to="2026-01-01"),
                    central.post_raw(token, b"{", {"Content-Type": "application/json"})):
        validator(document, "Error").validate(refused.json())


def test_the_extreme_numbers_the_schema_allows_are_stored_on_both_backends(central):
    """Schemathesis found a heartbeat with monotonic 1.1e-308 (schema-valid) a 500 on PostgreSQL,
    whose REAL column could not hold it; every reading is a double now."""
    token, device = central.enrolled_kiosk()
    tiny, biggest = 1.1125369292536007e-308, 1e10
    heartbeat = {"kiosk_id": device, "software_version": "1", "pending": 2**31 - 1, "oldest_pending_seconds": -1e12,
                 "quarantined": 0, "boot_id": "b", "wall": "2100-12-31T23:59:59.999999-23:59", "monotonic": tiny,
                 "clock_trusted": False, "free_disk_bytes": 2**63 - 1, "gap_error": "x" * 500}
    assert central.request("POST", "/api/v1/heartbeat", token, json=heartbeat).status_code == 200
    kept = central.query(lambda m: m.KioskStatus.get())
    assert (kept.monotonic, kept.oldest_pending_seconds, kept.free_disk_bytes) == (tiny, -1e12, 2**63 - 1)
    heartbeat.update(monotonic=123456789.123456, oldest_pending_seconds=0.000123)
    assert central.request("POST", "/api/v1/heartbeat", token, json=heartbeat).status_code == 200
    kept = central.query(lambda m: m.KioskStatus.get())
    assert (kept.monotonic, kept.oldest_pending_seconds) == (123456789.123456, 0.000123), "rounded to 7 digits"

    rows = [rating_row(1, monotonic=tiny, clock_trusted=False), rating_row(2, monotonic=biggest)]
    answer = central.post_batch(token, batch(device, rows, monotonic=biggest)).json()
    assert answer["accepted"] == 2, answer
