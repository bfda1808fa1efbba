"""What Django answers outside the API's views is still the API's error body: unknown paths, 405,
413, refused bytes, and a 500 that carries the request id it was logged with."""

import logging

import pytest
from django.test import override_settings
from django.urls import path

from catalog.tests.factories import ChannelFactory
from omnishop.urls import urlpatterns as project_urls

from .fuzzing import ERROR_KEYS, fuzz_shop

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("api/v1/_boom/", _boom), *project_urls]


def _error_body(response, status, type_):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= ERROR_KEYS and body["type"] == type_, body
    return body


def test_unknown_api_path_is_a_json_404(client):
    _error_body(client.get("/api/v1/no-such-thing/"), 404, "not_found")
    _error_body(client.get("/api/v2/products/"), 404, "not_found")


def test_a_method_the_endpoint_lacks_is_a_json_405(client):
    ChannelFactory(code="web")
    response = client.delete("/api/v1/products/")
    _error_body(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/locations/nearest/?line=ab%00cd",
        "/api/v1/products/?channel=ab%00cd",
        "/api/v1/channel/?channel=ab%00cd",
        "/api/v1/products/%00/",
        "/api/v1/orders/%00/",
    ],
)
def test_nul_in_path_or_query_is_a_validation_error(client, url):
    body = _error_body(client.get(url), 400, "validation_error")
    assert body["errors"]


def test_nul_in_a_header_is_a_validation_error(client):
    body = _error_body(client.get("/api/v1/channel/", headers={"X-Channel": "web\x00"}), 400, "validation_error")
    assert "header.X-Channel" in body["errors"]


def test_non_ascii_digits_in_a_query_are_refused(client):
    _error_body(client.get("/api/v1/locations/nearest/?lat=%D9%A5%D9%A2&lng=21"), 400, "validation_error")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_limit_is_a_413_with_the_error_body(client):
    response = client.post("/api/v1/stock/sync/", data=b"[" + b"1," * 1000 + b"1]", content_type="application/json")
    body = _error_body(response, 413, "payload_too_large")
    assert "1000" in body["detail"]


def test_deep_json_is_refused_as_malformed(client):
    ChannelFactory(code="web")
    deep = b"[" * 100_000 + b"]" * 100_000
    _error_body(client.put("/api/v1/cart/lines/", data=deep, content_type="application/json"), 400, "parse_error")
    nested = b"[" * 40 + b"]" * 40
    _error_body(
        client.put("/api/v1/cart/lines/", data=nested, content_type="application/json"), 400, "validation_error"
    )


def test_lone_surrogate_in_json_is_a_validation_error(client):
    raw = b'{"sync_id": "s-1", "mode": "\\ud800", "rows": [{"location": "a", "sku": "b", "quantity": 1}]}'
    key = {"Authorization": f"Api-Key {fuzz_shop()['key']}"}
    response = client.post("/api/v1/stock/sync/", data=raw, content_type="application/json", headers=key)
    body = _error_body(response, 400, "validation_error")
    assert body["errors"] == {"mode": ["Control characters (such as NUL) and unpaired surrogates are not allowed."]}


@override_settings(ROOT_URLCONF=__name__)
def test_an_unexpected_error_is_a_json_500_logged_with_its_request_id(client, caplog):
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="omnishop.api"):
        response = client.get("/api/v1/_boom/", headers={"X-Request-ID": "req-123"})
    body = _error_body(response, 500, "server_error")
    assert body["request_id"] == "req-123" and response["X-Request-ID"] == "req-123"
    assert "boom" not in response.content.decode()
    assert any("req-123" in r.getMessage() and r.exc_info for r in caplog.records)


def test_every_response_carries_a_request_id_and_a_bad_incoming_one_is_replaced(client):
    response = client.get("/api/v1/no-such-thing/", headers={"X-Request-ID": "abc def <script>"})
    assert response["X-Request-ID"] and response["X-Request-ID"] != "abc def <script>"
    assert len(response["X-Request-ID"]) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "lb-7"})["X-Request-ID"] == "lb-7"


def test_pages_outside_the_api_keep_django_answers(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
