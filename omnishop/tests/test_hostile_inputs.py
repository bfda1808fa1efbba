"""Hostile input against every operation of the served schema: NUL bytes, lone surrogates, deep
nesting, huge bodies, non-ASCII digits, overlong strings and wrong types answer a 4xx with the
error body and write nothing. Operations are read from the schema, so a new endpoint is covered
as soon as it is documented."""

import json

import pytest

from .fuzzing import (
    ERROR_KEYS,
    WRITE_METHODS,
    domain_row_counts,
    fuzz_shop,
    identity_headers,
    operations,
    served_schema,
)

pytestmark = pytest.mark.django_db

# Values that must be refused wherever they appear.
ALWAYS_REFUSED = {
    "nul": "ab\x00cd",
    "nul_alone": "\x00",
    "lone_surrogate": "\ud800",
    "low_surrogate": "x\udfffy",
    "control_character": "a\x07b",
}
# Numbers written in other than ASCII digits: refused where the schema expects an integer.
NOT_NUMBERS = {"arabic_indic": "١٢", "superscript": "²", "fullwidth": "\uff11\uff12", "devanagari": "१२"}
# Values a field may accept or refuse, but never with a server error or a half-write.
ODD_VALUES = {
    "overlong": "x" * 100_000,
    "object": {"a": {"b": 1}},
    "list": [1, "2", None],
    "null": None,
    "bool": True,
    "huge_int": 10**30,
    "negative": -(2**63),
    "float": 1e308,
    "empty": "",
    "emoji": "😀" * 50,
    "digits_text": "١٢",
}


def _deep_list(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _deep_object(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


# Raw bodies, refused before any handler sees them.
RAW_BODIES = {
    "nested_100000_lists": _deep_list(100_000),
    "nested_100000_objects": _deep_object(100_000),
    "nested_40_lists": _deep_list(40),
    "body_10mb": b'{"a":"' + b"x" * (10 * 1024 * 1024) + b'"}',
    "body_50mb": b"[" + b"1," * (25 * 1024 * 1024) + b"1]",
    "invalid_utf8": b'{"a":"\xff\xfe"}',
    "nan": b'{"a": NaN}',
    "number_5000_digits": b'{"a": ' + b"9" * 5000 + b"}",
    "not_json": b"{not json",
    "escaped_nul_key": b'{"\\u0000": 1}',
    "escaped_surrogate_key": b'{"\\ud800": 1}',
    "top_level_string": b'"\\u0000"',
}

# A body each operation accepts, so a hostile value in one field is what the request gets refused for.
VALID_BODIES = {
    ("put", "/api/v1/cart/lines/"): {"sku": "BUTY-42", "quantity": 1},
    ("post", "/api/v1/cart/merge/"): {"token": "8b1f6a7e-2f1d-4c43-9d55-0c4e1f0f2a11"},
    ("post", "/api/v1/orders/"): {
        "lines": [{"sku": "BUTY-42", "quantity": 1}],
        "fulfilment_type": "delivery",
        "contact": {"email": "klient@example.pl", "phone": "+48600100200"},
        "shipping_address": {"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"},
    },
    ("post", "/api/v1/orders/{number}/cancel/"): {"reason": "Zmiana zdania"},
    ("post", "/api/v1/stock/sync/"): {
        "sync_id": "fuzz-1",
        "mode": "absolute",
        "rows": [{"location": "wh-fuzz", "sku": "BUTY-42", "quantity": 5}],
    },
}


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        return _resolve(schema, node["allOf"][0])
    return node


def _example(schema: dict, node: dict, depth: int = 0):
    """A plain value of the documented shape, for operations without a hand-written body."""
    node = _resolve(schema, node)
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return {
            name: _example(schema, prop, depth + 1)
            for name, prop in (node.get("properties") or {}).items()
            if not prop.get("readOnly") and depth < 4
        }
    if kind == "array":
        return [_example(schema, node.get("items") or {}, depth + 1)]
    return {"integer": 1, "number": 1, "boolean": True}.get(kind, "x")


def _body_schema(schema: dict, op: dict) -> dict | None:
    content = (op.get("requestBody") or {}).get("content", {}).get("application/json")
    return content and content.get("schema")


def _leaves(schema: dict, body, node: dict | None, path=()):
    """(path, documented type) of every value in ``body``, nested objects and lists included."""
    node = _resolve(schema, node or {})
    if isinstance(body, dict):
        props = node.get("properties") or {}
        for key, value in body.items():
            yield from _leaves(schema, value, props.get(key), (*path, key))
    elif isinstance(body, list):
        for i, value in enumerate(body):
            yield from _leaves(schema, value, node.get("items"), (*path, i))
    else:
        yield path, node.get("type")
    if path and isinstance(body, dict | list):
        yield path, node.get("type")


def _replaced(body, path, value):
    body = json.loads(json.dumps(body))
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


def _identities(op: dict) -> list[str]:
    security = [set(s) for s in op.get("security", [])]
    found = []
    if set() in security:
        found.append("anonymous")
    if {"cookieAuth"} in security:
        found += ["customer", "staff"]
    if {"ChannelApiKey"} in security:
        found.append("channel_key")
    return found


def _write_cases(*, with_body: bool = False):
    """Every write operation per identity; ``with_body``: only those that take a request body
    (a DELETE or a bodyless action has no field to put a hostile value in)."""
    schema = served_schema()
    for path, method, op in operations(schema, WRITE_METHODS):
        if with_body and _body_schema(schema, op) is None:
            continue
        for identity in _identities(op):
            yield pytest.param(path, method, identity, id=f"{method.upper()} {path} as {identity}")


def _url(path: str, shop: dict) -> str:
    url = path.replace("{number}", shop["order"].number).replace("{id_or_slug}", shop["product"].slug)
    return url.replace("{id}", "1")


def _send(client, method, url, raw: bytes, headers):
    return getattr(client, method)(url, data=raw, content_type="application/json", headers=headers)


def _assert_refused(response, before, what):
    assert 400 <= response.status_code < 500, (what, response.status_code, response.content[:300])
    body = response.json()
    assert set(body) >= ERROR_KEYS, (what, body)
    assert isinstance(body["errors"], dict) and body["type"], (what, body)
    assert domain_row_counts() == before, (what, "wrote rows")


@pytest.fixture
def shop(db):
    return fuzz_shop()


@pytest.mark.parametrize(("path", "method", "identity"), list(_write_cases()))
def test_raw_hostile_bodies_are_refused_and_write_nothing(client, shop, path, method, identity):
    headers = identity_headers(client, shop, identity)
    url = _url(path, shop)
    before = domain_row_counts()
    for name, raw in RAW_BODIES.items():
        _assert_refused(_send(client, method, url, raw, headers), before, name)


@pytest.mark.parametrize(("path", "method", "identity"), list(_write_cases(with_body=True)))
def test_hostile_values_in_every_field_are_refused_and_write_nothing(client, shop, path, method, identity):
    schema = served_schema()
    op = schema["paths"][path][method]
    node = _body_schema(schema, op)
    body = VALID_BODIES.get((method, path)) or _example(schema, node or {})
    headers = identity_headers(client, shop, identity)
    url = _url(path, shop)
    leaves = list(_leaves(schema, body, node))
    assert leaves, "no field to try"
    before = domain_row_counts()
    for field, kind in leaves:
        values = dict(ALWAYS_REFUSED)
        if kind == "integer":
            values |= NOT_NUMBERS
        for name, value in values.items():
            raw = json.dumps(_replaced(body, field, value)).encode()
            _assert_refused(_send(client, method, url, raw, headers), before, (field, name))
        # The same values as keys of the object holding the field.
        parent = field[:-1]
        for name, value in ALWAYS_REFUSED.items():
            holder = json.loads(json.dumps(body))
            target = holder
            for step in parent:
                target = target[step]
            if isinstance(target, dict):
                target[value] = 1
                raw = json.dumps(holder).encode()
                _assert_refused(_send(client, method, url, raw, headers), before, (field, "key", name))


@pytest.mark.parametrize(("path", "method", "identity"), list(_write_cases(with_body=True)))
def test_odd_values_never_break_the_server(client, shop, path, method, identity):
    """Overlong strings and wrong types: accepted or refused, but never a 5xx, and a refusal
    writes nothing."""
    schema = served_schema()
    op = schema["paths"][path][method]
    node = _body_schema(schema, op)
    body = VALID_BODIES.get((method, path)) or _example(schema, node or {})
    headers = identity_headers(client, shop, identity)
    url = _url(path, shop)
    for field, _kind in _leaves(schema, body, node):
        for name, value in ODD_VALUES.items():
            before = domain_row_counts()
            raw = json.dumps(_replaced(body, field, value)).encode()
            response = _send(client, method, url, raw, headers)
            assert response.status_code < 500, (field, name, response.status_code, response.content[:300])
            if response.status_code >= 400:
                _assert_refused(response, before, (field, name))


# --- paths, query strings and headers of every operation ------------------------------------------


HOSTILE_PATH_VALUES = {
    "nul": "%00",
    "nul_inside": "ab%00cd",
    "dotdot": "..",
    "dotdot_encoded": "%2e%2e",
    "superscript": "%C2%B2",
    "arabic_indic": "%D9%A1%D9%A2",
    "encoded_surrogate": "%ED%A0%80",
    "invalid_utf8": "%FF",
    "overlong": "9" * 5000,
    "huge_number": "9" * 30,
}
HOSTILE_QUERY_VALUES = {
    "nul": "ab%00cd",
    "encoded_surrogate": "%ED%A0%80",
    "invalid_utf8": "%FF%FE",
    "arabic_indic": "%D9%A1%D9%A2",
    "overlong": "x" * 5000,
    "control": "a%07b",
}
MUST_REFUSE = {"nul", "nul_inside", "control"}


def _all_cases():
    schema = served_schema()
    for path, method, op in operations(schema):
        for identity in _identities(op) or ["anonymous"]:
            yield pytest.param(path, method, op, identity, id=f"{method.upper()} {path} as {identity}")


@pytest.mark.parametrize(("path", "method", "op", "identity"), list(_all_cases()))
def test_hostile_paths_queries_and_headers(client, shop, path, method, op, identity):
    headers = identity_headers(client, shop, identity)
    body = VALID_BODIES.get((method, path), {}) if method != "get" else None
    raw = json.dumps(body).encode() if body is not None else None
    params = op.get("parameters", [])

    def call(url, extra_headers=None):
        before = domain_row_counts()
        kwargs = {"headers": {**headers, **(extra_headers or {})}}
        if raw is not None:
            kwargs |= {"data": raw, "content_type": "application/json"}
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code < 500, (url, response.status_code, response.content[:300])
        if response.status_code >= 400:
            _assert_refused(response, before, url)
        return response

    for param in [p for p in params if p["in"] == "path"]:
        for name, value in HOSTILE_PATH_VALUES.items():
            response = call(_url(path.replace("{" + param["name"] + "}", value), shop))
            if name in MUST_REFUSE:
                assert response.status_code == 400, (param["name"], name)
    base = _url(path, shop)
    for param in [p for p in params if p["in"] == "query"]:
        for name, value in HOSTILE_QUERY_VALUES.items():
            response = call(f"{base}?{param['name']}={value}")
            if name in MUST_REFUSE:
                assert response.status_code == 400, (param["name"], name)
    for param in [p for p in params if p["in"] == "header"] + [{"name": "X-Request-ID"}]:
        for value in ("ab\x00cd", "\x00", "x" * 5000):
            response = call(base, {param["name"]: value})
            if "\x00" in value:
                assert response.status_code == 400, (param["name"], value)
