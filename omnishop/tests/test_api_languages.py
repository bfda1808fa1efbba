"""Error bodies speak the request's Accept-Language (Polish or English), whatever the request
before them on the same thread spoke: field errors, 404s (a view's and an unknown path's), 405,
refused bytes and bodies, a 409 business rule and a 429."""

import json

import pytest

from .fuzzing import fuzz_shop
from .test_throttling import rates

pytestmark = pytest.mark.django_db
OTHER = {"pl": "en", "en": "pl"}


@pytest.fixture
def shop(db):
    return fuzz_shop()


def _ask(client, language: str, method: str, path: str, body=None, **extra):
    """The request in ``language``, right after one in the other language on the same thread
    (a language left active by that one must not leak into this answer)."""
    client.get("/api/v1/nothing/", HTTP_ACCEPT_LANGUAGE=OTHER[language])
    data = json.dumps(body) if body is not None else ""
    response = client.generic(
        method, path, data, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language, **extra
    )
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.status_code, response.json()


CASES = {
    "field error": (
        ("PUT", "/api/v1/cart/lines/", {"sku": "BUTY-42", "quantity": 1000}),
        400,
        {
            "pl": ("Nieprawidłowe dane.", {"quantity": ["Upewnij się, że ta wartość jest mniejsza lub równa 999."]}),
            "en": ("Invalid input.", {"quantity": ["Ensure this value is less than or equal to 999."]}),
        },
    ),
    "404 of a view": (
        ("GET", "/api/v1/products/no-such-product/", None),
        404,
        {"pl": ("Nie znaleziono.", {}), "en": ("Not found.", {})},
    ),
    "404 of an unknown path": (
        ("GET", "/api/v1/nowhere/", None),
        404,
        {"pl": ("Nie znaleziono.", {}), "en": ("Not found.", {})},
    ),
    "405": (
        ("DELETE", "/api/v1/products/", None),
        405,
        {"pl": ("Niedozwolona metoda.", {}), "en": ("Method not allowed.", {})},
    ),
    "refused bytes": (
        ("GET", "/api/v1/products/?q=a%00", None),
        400,
        {
            "pl": (
                "Nieprawidłowe dane.",
                {"query.q": ["Znaki sterujące (np. NUL) i niesparowane surogaty są niedozwolone."]},
            ),
            "en": (
                "Invalid input.",
                {"query.q": ["Control characters (such as NUL) and unpaired surrogates are not allowed."]},
            ),
        },
    ),
    "409 business rule": (
        ("PUT", "/api/v1/cart/lines/", {"sku": "BUTY-42", "quantity": 500}),
        409,
        {
            "pl": ("Niewystarczający stan magazynowy.", {"quantity": ["Dostępne tylko 99 szt."]}),
            "en": ("Insufficient stock.", {"quantity": ["Only 99 available."]}),
        },
    ),
}
DETAILS = {
    "404 of an unknown path": {
        "pl": "Pod tym adresem nie ma punktu końcowego API.",
        "en": "No API endpoint at this address.",
    },
    "405": {"pl": 'Niedozwolona metoda "DELETE".', "en": 'Method "DELETE" not allowed.'},
}


@pytest.mark.parametrize("language", ["pl", "en"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_error_body_speaks_the_request_language(client, shop, case, language):
    (method, path, body), status, expected = CASES[case]
    got_status, got = _ask(client, language, method, path, body)
    title, errors = expected[language]
    assert (got_status, got["title"], got["errors"]) == (status, title, errors), got
    if case in DETAILS:
        assert got["detail"] == DETAILS[case][language]
    elif errors:
        assert got["detail"].endswith(next(iter(errors.values()))[0])


@pytest.mark.parametrize(
    ("language", "title", "detail"),
    [
        ("pl", "Treść żądania jest za duża.", "Treść żądania przekracza 100 bajtów."),
        ("en", "Request body too large.", "The request body is larger than 100 bytes."),
    ],
)
def test_a_body_too_large_is_refused_in_the_request_language(client, shop, settings, language, title, detail):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    status, body = _ask(client, language, "POST", "/api/v1/cart/merge/", {"token": "x" * 200})
    assert (status, body["title"], body["detail"]) == (413, title, detail)


@pytest.mark.parametrize(
    ("language", "title", "starts"),
    [("pl", "Zbyt wiele żądań.", "Spróbuj ponownie za "), ("en", "Too many requests.", "Try again in ")],
)
def test_a_429_speaks_the_request_language(client, shop, language, title, starts):
    address = {"REMOTE_ADDR": f"10.9.9.{1 if language == 'pl' else 2}"}
    with rates(anon="1/min"):
        assert client.get("/api/v1/products/", **address).status_code == 200
        status, body = _ask(client, language, "GET", "/api/v1/products/", **address)
    assert (status, body["type"], body["title"]) == (429, "throttled", title)
    assert body["detail"].startswith(starts)
