"""/api/v1/openapi.json describes exactly the routes the central app serves."""
import re

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def app_routes(app):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
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


def test_the_documented_batch_limits_match_the_protocol(central):
    from sync.protocol import MAX_ROWS

    document = central.request("GET", "/api/v1/openapi.json").json()
    batch = document["components"]["schemas"]["Batch"]["properties"]
    assert batch["ratings"]["maxItems"] == MAX_ROWS
    assert {"200", "401", "403", "413", "415", "422"} <= set(document["paths"]["/api/v1/batches"]["post"]["responses"])
