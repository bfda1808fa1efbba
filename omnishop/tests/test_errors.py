"""The one error body: {type, title, detail, errors} for 400/401/403/404/405/409."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.test import APIRequestFactory

from omnishop.api.exceptions import exception_handler
from omnishop.exceptions import DomainError

KEYS = {"type", "title", "detail", "errors"}


class OutOfStock(DomainError):
    code = "insufficient_stock"
    title = "Not enough stock."


def handle(exc):
    request = APIRequestFactory().get("/")
    return exception_handler(exc, {"request": request, "view": None})


def test_validation_error_lists_field_errors():
    response = handle(exceptions.ValidationError({"sku": ["Required."], "lines": [{"qty": ["Too big."]}, {}]}))
    assert response.status_code == 400
    body = response.data
    assert set(body) == KEYS
    assert body["type"] == "validation_error"
    assert body["errors"] == {"sku": ["Required."], "lines.0.qty": ["Too big."]}
    assert "sku: Required." in body["detail"]


def test_non_field_errors():
    body = handle(exceptions.ValidationError(["Basket is empty."])).data
    assert body["errors"] == {"non_field_errors": ["Basket is empty."]}


def test_django_validation_error_becomes_400():
    response = handle(DjangoValidationError({"amount": ["A price has at most 2 decimal places."]}))
    assert response.status_code == 400
    assert response.data["errors"] == {"amount": ["A price has at most 2 decimal places."]}


def test_domain_error_is_409_with_its_code():
    response = handle(OutOfStock("Only 2 left of SKU-1.", errors={"lines.0.quantity": ["Only 2 left."]}))
    assert response.status_code == 409
    assert response.data == {
        "type": "insufficient_stock",
        "title": "Not enough stock.",
        "detail": "Only 2 left of SKU-1.",
        "errors": {"lines.0.quantity": ["Only 2 left."]},
    }


@pytest.mark.parametrize(
    ("exc", "status", "type_"),
    [
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.AuthenticationFailed(), 401, "authentication_failed"),
        (exceptions.PermissionDenied(), 403, "permission_denied"),
        (exceptions.PermissionDenied("Other store.", code="other_store"), 403, "other_store"),
        (exceptions.NotFound(), 404, "not_found"),
        (exceptions.MethodNotAllowed("POST"), 405, "method_not_allowed"),
        (exceptions.Throttled(wait=3), 429, "throttled"),
    ],
)
def test_status_codes_and_types(exc, status, type_):
    response = handle(exc)
    assert response.status_code == status
    assert set(response.data) == KEYS
    assert response.data["type"] == type_
    assert response.data["errors"] == {}


@pytest.mark.django_db
def test_over_http(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert set(response.json()) == KEYS
    assert response.json()["type"] == "not_authenticated"
    response = api_client.post("/api/v1/categories/", {})
    assert response.status_code == 405 and response.json()["type"] == "method_not_allowed"
    response = api_client.post("/api/v1/categories/", "{not json", content_type="application/json")
    assert response.status_code in (400, 405)
    assert set(response.json()) == KEYS


def test_unexpected_errors_are_left_to_django():
    assert handle(RuntimeError("boom")) is None
