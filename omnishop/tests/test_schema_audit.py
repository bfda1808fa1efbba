"""The OpenAPI schema describes every operation completely and truthfully: request and response
shapes with typed fields, the error responses, the channel header, and the security the
endpoint really enforces (checked by calling it anonymously and with a channel API key)."""

import re
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from catalog.api.channels import ChannelMixin
from catalog.models import Channel
from catalog.services import listing_publish, price_set
from catalog.tests.factories import ChannelFactory, ProductFactory, VariantFactory
from inventory.services import stock_receive
from inventory.tests.factories import WarehouseFactory
from omnishop.api.schema import ERROR_DESCRIPTIONS
from omnishop.apikeys.models import Scope
from omnishop.apikeys.services import apikey_create
from orders.services import Contact, order_place

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
ADDRESS = {"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"}


@pytest.fixture(scope="module")
def schema():
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return yaml.safe_load(out.getvalue())


def _operations(schema):
    for path, item in schema["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def _resolve(schema, ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    if ref is None:
        return ref_or_schema
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _untyped(schema, node: dict, where: str, seen: set) -> list[str]:
    """Properties whose values are not described (no type, reference, composition or enum)."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return _untyped(schema, schema["components"]["schemas"][name], name, seen)
    found = []
    if not any(k in node for k in ("type", "allOf", "oneOf", "anyOf", "enum")):
        found.append(where)
    for sub in node.get("allOf", []) + node.get("oneOf", []) + node.get("anyOf", []):
        found += _untyped(schema, sub, where, seen)
    for name, prop in (node.get("properties") or {}).items():
        found += _untyped(schema, prop, f"{where}.{name}", seen)
    if isinstance(node.get("items"), dict):
        found += _untyped(schema, node["items"], f"{where}[]", seen)
    if isinstance(node.get("additionalProperties"), dict) and node["additionalProperties"]:
        found += _untyped(schema, node["additionalProperties"], f"{where}{{}}", seen)
    return found


# Known gaps in apps this module does not own, by "METHOD path".
UNTYPED_RESPONSE_FIELDS: dict[str, str] = {}


def _operation_params(schema, known=None):
    params = []
    for path, method, _op in _operations(schema):
        label = f"{method} {path}"
        marks = [pytest.mark.xfail(strict=True, reason=known[label])] if known and label in known else []
        params.append(pytest.param(path, method, marks=marks, id=label))
    return params


def _all_operations():
    out = StringIO()
    call_command("spectacular", stdout=out)
    return yaml.safe_load(out.getvalue())


_SCHEMA = None


def _ops(known=None):
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = _all_operations()
    return _operation_params(_SCHEMA, known)


@pytest.mark.parametrize(("path", "method"), _ops(UNTYPED_RESPONSE_FIELDS))
def test_every_response_field_is_typed(schema, path, method):
    op = schema["paths"][path][method]
    success = {code: r for code, r in op["responses"].items() if code.startswith("2")}
    assert success, "no success response"
    success.pop("204", None)  # No Content: nothing to type
    untyped = []
    for response in success.values():
        body = response.get("content", {}).get("application/json", {}).get("schema")
        assert body, "a success response without a JSON body"
        untyped += _untyped(schema, body, "response", set())
    assert not untyped


@pytest.mark.parametrize(("path", "method"), _ops())
def test_every_request_body_is_documented_and_typed(schema, path, method):
    op = schema["paths"][path][method]
    if method == "get":
        assert "requestBody" not in op
        return
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body is None:
        assert path in BODYLESS_WRITES, "a write without a documented request body"
        return
    assert not _untyped(schema, body, "request", set())


# Writes that take no body at all.
BODYLESS_WRITES: set[str] = {
    "/api/v1/webhooks/deliveries/{id}/redeliver/",
    "/api/v1/webhooks/subscriptions/{id}/",  # DELETE
    "/api/v1/me/addresses/{id}/",  # DELETE
    # The store app's steps: the path names the order or fulfilment, nothing else is asked.
    "/api/v1/store/orders/{number}/pick/",
    "/api/v1/store/orders/{number}/ready/",
    "/api/v1/store/fulfilments/{id}/pick/",
    "/api/v1/store/fulfilments/{id}/receive/",
}


def test_cancel_documents_its_reason(schema):
    op = schema["paths"]["/api/v1/orders/{number}/cancel/"]["post"]
    body = _resolve(schema, op["requestBody"]["content"]["application/json"]["schema"])
    assert "reason" in body["properties"]


@pytest.mark.parametrize(("path", "method"), _ops())
def test_every_operation_documents_the_error_body(schema, path, method):
    op = schema["paths"][path][method]
    codes = ["400", "401", "403", "404"] + (["409"] if method != "get" else [])
    for code in codes:
        response = op["responses"].get(code)
        assert response, code
        assert response["content"]["application/json"]["schema"]["$ref"].endswith("/Error"), code
        assert response.get("description"), f"{code} without a description"


def test_default_error_descriptions_cover_the_documented_types():
    """The README's error types appear where a client looks them up."""
    text = " ".join(ERROR_DESCRIPTIONS.values())
    for error_type in ("validation_error", "not_authenticated", "invalid_api_key", "permission_denied"):
        assert error_type in text
    assert "channel_mismatch" in ERROR_DESCRIPTIONS["403"] and "not_found" in ERROR_DESCRIPTIONS["404"]


# Words of the code, not of the API: a description is for the client, not a docstring.
INTERNAL_WORDS = re.compile(
    r"\bservices?\b|\bselectors?\b|select_for_update|\bquerysets?\b|\bmixin\b|\bhandler\b|\bdocstring\b"
    r"|\bwe\b|\bour\b|request\.\w|self\.|\w\(\)|\b(?:catalog|inventory|orders|omnishop|customers)\.\w+\.",
    re.IGNORECASE,
)
IDENTIFIER = re.compile(r"\b[A-Za-z]\w*_\w+\b")


def _schema_vocabulary(node, found: set) -> set:
    """Names a client meets in the schema: properties, parameters, enum values, and the error
    types the responses describe (identifiers with an underscore may be used only if they are these)."""
    if isinstance(node, dict):
        found.update(node.get("properties", {}))
        found.update(str(v) for v in node.get("enum", []) or [])
        if "in" in node and "name" in node:
            found.add(node["name"])
        for key, value in node.items():
            if key == "description" and isinstance(value, str) and "responses" not in node:
                found.update(IDENTIFIER.findall(value))
            _schema_vocabulary(value, found)
    elif isinstance(node, list):
        for item in node:
            _schema_vocabulary(item, found)
    return found


def test_every_operation_description_speaks_to_clients(schema):
    vocabulary = set()
    for _path, _method, operation in _operations(schema):
        for response in operation.get("responses", {}).values():
            vocabulary.update(IDENTIFIER.findall(response.get("description", "")))
    _schema_vocabulary(schema["components"], vocabulary)
    for _path, _method, operation in _operations(schema):
        _schema_vocabulary(operation.get("parameters", []), vocabulary)
    problems = []
    for path, method, operation in _operations(schema):
        description = operation.get("description", "")
        if not description.strip():
            problems.append(f"{method.upper()} {path}: no description")
            continue
        problems += [f"{method.upper()} {path}: {m.group()!r}" for m in INTERNAL_WORDS.finditer(description)]
        problems += [
            f"{method.upper()} {path}: {name!r} is not a name of the API"
            for name in IDENTIFIER.findall(description)
            if name not in vocabulary
        ]
    assert problems == []


def test_order_placement_documents_its_cart_header_and_conflicts(schema):
    op = schema["paths"]["/api/v1/orders/"]["post"]
    assert "X-Cart-Token" in {p["name"] for p in op["parameters"]}
    description = op["responses"]["409"]["description"]
    assert "idempotency_conflict" in description and "insufficient_stock" in description


def _channel_paths() -> set[str]:
    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and getattr(p.callback, "view_class", None):
                yield prefix + str(p.pattern), p.callback.view_class

    paths = set()
    for route, view in walk(get_resolver().url_patterns, ""):
        if route.startswith("api/v1/") and issubclass(view, ChannelMixin):
            paths.add("/" + route.replace("<str:", "{").replace(">", "}"))
    return paths


def test_every_channel_aware_operation_documents_the_channel_header(schema):
    paths = _channel_paths()
    assert len(paths) >= 10
    for path in paths:
        for method in HTTP_METHODS:
            op = schema["paths"][path].get(method)
            if op is not None:
                headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
                assert "X-Channel" in headers, (method, path)


# --- security: what is documented is what the endpoint does ----------------------------------


@pytest.fixture
def shop(db):
    web = ChannelFactory(code="web", kind=Channel.Kind.WEB)
    product = ProductFactory(slug="buty")
    variant = VariantFactory(product=product, sku="BUTY-42")
    price_set(variant=variant, amount=Decimal("100.00"))
    listing_publish(product=product, channel=web, published_from=timezone.now() - timedelta(days=1))
    warehouse = WarehouseFactory(code="wh-schema")
    stock_receive(variant=variant, location=warehouse, quantity=10)
    order = order_place(
        channel=web,
        lines={variant.pk: 1},
        fulfilment_type="delivery",
        contact=Contact(email="gosc@example.pl"),
        shipping_address=ADDRESS,
    )
    # A key of a first-party channel with every scope: only what the view refuses to any key fails.
    _row, key = apikey_create(channel=web, name="Web integration", scopes=list(Scope.values))
    # The marketplace endpoints are for a marketplace's key: a web key is refused there by design.
    marketplace = ChannelFactory(code="allegro", kind=Channel.Kind.MARKETPLACE, api_key_required=True)
    _row, marketplace_key = apikey_create(channel=marketplace, name="Allegro", scopes=list(Scope.values))
    # The till sales endpoint is for a store channel's key (its POS) in the same way.
    store = ChannelFactory(code="store", kind=Channel.Kind.STORE)
    _row, pos_key = apikey_create(channel=store, name="POS", scopes=list(Scope.values))
    return {
        "order": order,
        "product": product,
        "key": key,
        "marketplace_key": marketplace_key,
        "pos_key": pos_key,
        "warehouse": warehouse,
    }


def _sample_request(path: str, method: str, shop) -> tuple[str, dict | None]:
    url = path.replace("{id_or_slug}", shop["product"].slug).replace("{number}", shop["order"].number)
    url = url.replace("{id}", "1")
    bodies = {
        "/api/v1/cart/lines/": {"sku": "BUTY-42", "quantity": 1},
        "/api/v1/cart/merge/": {"token": "8b1f6a7e-2f1d-4c43-9d55-0c4e1f0f2a11"},
        "/api/v1/orders/": {"lines": [{"sku": "BUTY-42", "quantity": 1}], "fulfilment_type": "delivery"},
        "/api/v1/stock/sync/": {"sync_id": "schema-1", "rows": []},
    }
    return url, (bodies.get(path, {}) if method != "get" else None)


def _refused(response) -> bool:
    return response.status_code in (401, 403) and response.json()["type"] in (
        "not_authenticated",
        "permission_denied",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "method"), _ops())
def test_documented_security_matches_what_the_endpoint_enforces(schema, api_client, shop, path, method):
    op = schema["paths"][path][method]
    documented = [set(requirement) for requirement in op.get("security", [])]
    url, body = _sample_request(path, method, shop)

    anonymous = getattr(api_client, method)(url, body, format="json")
    assert (set() in documented) != _refused(anonymous), ("anonymous", anonymous.status_code, anonymous.content)

    key = shop["marketplace_key"] if path.startswith("/api/v1/marketplace/") else shop["key"]
    key = shop["pos_key"] if path.startswith("/api/v1/pos/") else key
    with_key = getattr(api_client, method)(url, body, format="json", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert ({"ChannelApiKey"} in documented) != _refused(with_key), ("key", with_key.status_code, with_key.content)


def test_security_schemes_are_the_ones_the_api_authenticates_with(schema):
    assert set(schema["components"]["securitySchemes"]) == {"ChannelApiKey", "XSessionTokenAuth", "cookieAuth"}
    key = schema["components"]["securitySchemes"]["ChannelApiKey"]
    assert (key["type"], key["in"], key["name"]) == ("apiKey", "header", "Authorization")


# --- bad input: a 4xx with the error body, nothing written ---------------------------------------


@pytest.mark.django_db
def test_cancel_with_a_body_that_is_not_an_object_is_a_400(api_client, shop):
    order = shop["order"]
    response = api_client.post(
        f"/api/v1/orders/{order.number}/cancel/", [], format="json", HTTP_AUTHORIZATION=f"Api-Key {shop['key']}"
    )
    assert response.status_code == 400 and response.json()["type"] == "validation_error"
    order.refresh_from_db()
    assert order.status == "placed"
