"""Each throttle scope answers 429 with Retry-After and the error body once its budget is spent,
and the counters live in the shared cache: two server processes share one budget."""

import urllib.error
import urllib.request

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from conftest import redis_url

from .fuzzing import ERROR_KEYS, fuzz_shop
from .live_servers import gunicorn_servers

SETTINGS_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]


def rates(**changed):
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**SETTINGS_RATES, **changed}}
    )


def assert_throttled(response):
    assert response.status_code == 429, response.content[:300]
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert set(body) >= ERROR_KEYS and body["type"] == "throttled"


@pytest.fixture
def shop(db):
    return fuzz_shop()


def test_production_defaults_are_set_for_every_scope():
    from omnishop.settings import base

    assert set(base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) == {
        "anon",
        "customer",
        "channel_key",
        "stock_sync",
        "order_place",
        "gift_card_check",
    }
    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"] == "120/min"


@pytest.mark.django_db
def test_anonymous_callers_are_throttled_per_address(client, shop):
    with rates(anon="3/min"):
        for _ in range(3):
            assert client.get("/api/v1/products/").status_code == 200
        assert_throttled(client.get("/api/v1/availability/?sku=BUTY-42"))
        # Another address has its own budget.
        assert client.get("/api/v1/products/", REMOTE_ADDR="10.0.0.9").status_code == 200


@pytest.mark.django_db
def test_behind_the_trusted_proxy_each_client_address_has_its_own_budget(client, shop, settings):
    """The proxy's own address is not one shared budget: the address it forwards counts, and an
    address the client wrote further left in X-Forwarded-For is not believed."""
    settings.OMNISHOP_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    with rates(anon="2/min"):
        for _ in range(2):
            assert client.get("/api/v1/products/", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code == 200
        assert_throttled(client.get("/api/v1/products/", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7", **proxy))
        assert client.get("/api/v1/products/", HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy).status_code == 200


@pytest.mark.django_db
def test_the_429_says_when_to_try_again_in_the_callers_language(client, shop):
    with rates(anon="1/min"):
        assert client.get("/api/v1/products/").status_code == 200
        english = client.get("/api/v1/products/")
        assert_throttled(english)
        assert english.json()["detail"] == f"Try again in {english['Retry-After']} seconds."
        polish = client.get("/api/v1/products/", HTTP_ACCEPT_LANGUAGE="pl")
        assert polish.json()["title"] == "Zbyt wiele żądań."
        assert polish.json()["detail"].startswith("Spróbuj ponownie za ")


@pytest.mark.django_db
def test_signed_in_customers_are_throttled_per_user(client, shop):
    client.force_login(shop["users"]["customer"])
    with rates(customer="2/min", anon="1/min"):
        assert client.get("/api/v1/me/").status_code == 200
        assert client.get("/api/v1/me/", REMOTE_ADDR="10.0.0.9").status_code == 200
        assert_throttled(client.get("/api/v1/me/"))
        client.force_login(shop["users"]["staff"])
        assert client.get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_channel_keys_are_throttled_per_key_not_per_address(client, shop):
    from omnishop.apikeys.models import Scope
    from omnishop.apikeys.services import apikey_create

    _row, other = apikey_create(channel=shop["channel"], name="Other", scopes=list(Scope.values))
    first = {"Authorization": f"Api-Key {shop['key']}"}
    with rates(channel_key="2/min", anon="1/min"):
        assert client.get("/api/v1/products/", headers=first).status_code == 200
        assert client.get("/api/v1/products/", headers=first, REMOTE_ADDR="10.0.0.9").status_code == 200
        assert_throttled(client.get("/api/v1/products/", headers=first, REMOTE_ADDR="10.0.0.10"))
        assert client.get("/api/v1/products/", headers={"Authorization": f"Api-Key {other}"}).status_code == 200


@pytest.mark.django_db
def test_the_stock_sync_has_its_own_budget(client, shop):
    key = {"Authorization": f"Api-Key {shop['key']}"}
    body = {"mode": "absolute", "rows": [{"location": "wh-fuzz", "sku": "BUTY-42", "quantity": 7}]}
    with rates(stock_sync="2/min"):
        for i in range(2):
            response = client.post(
                "/api/v1/stock/sync/", {**body, "sync_id": f"t-{i}"}, content_type="application/json", headers=key
            )
            assert response.status_code == 200, response.content
        assert_throttled(
            client.post("/api/v1/stock/sync/", {**body, "sync_id": "t-9"}, content_type="application/json", headers=key)
        )
        # The key's other calls are not held back by the sync's budget.
        assert client.get("/api/v1/products/", headers=key).status_code == 200


@pytest.mark.django_db
def test_order_placement_has_its_own_budget(client, shop):
    client.force_login(shop["users"]["customer"])
    body = {
        "lines": [{"sku": "BUTY-42", "quantity": 1}],
        "fulfilment_type": "delivery",
        "contact": {"email": "klient@example.pl"},
        "shipping_address": {"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"},
    }
    with rates(order_place="1/min"):
        assert client.post("/api/v1/orders/", body, content_type="application/json").status_code == 201
        assert_throttled(client.post("/api/v1/orders/", body, content_type="application/json"))
        assert client.get("/api/v1/orders/").status_code == 200


@pytest.mark.django_db
def test_counters_are_kept_in_the_database_cache_by_default(client, shop):
    """The default cache (no CACHE_URL) is a table every process shares."""
    from omnishop.settings import base

    with override_settings(CACHES=base.CACHES), rates(anon="2/min"):
        call_command("createcachetable", verbosity=0)
        from django.core.cache import cache

        cache.clear()
        assert client.get("/api/v1/products/").status_code == 200
        assert client.get("/api/v1/products/").status_code == 200
        assert_throttled(client.get("/api/v1/products/"))
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM omnishop_cache WHERE cache_key LIKE %s", ["%throttle_anon%"])
            assert cursor.fetchone()[0] == 1


# --- several server processes --------------------------------------------------------------------


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (a local test server)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_server_processes_share_one_budget():
    from catalog.models import Channel
    from catalog.tests.factories import ChannelFactory

    ChannelFactory(code="web", kind=Channel.Kind.WEB)
    # Django's RedisCache key for the anonymous budget of 127.0.0.1 (prefix "", version 1).
    redis.Redis.from_url(redis_url()).delete(":1:throttle_anon_127.0.0.1")
    with gunicorn_servers(2, env={"CACHE_URL": redis_url(), "OMNISHOP_THROTTLE_ANON": "6/min"}) as ports:
        statuses = [_get(f"http://127.0.0.1:{ports[i % 2]}/api/v1/categories/") for i in range(8)]
    assert statuses == [200] * 6 + [429, 429], statuses


@pytest.mark.redis
def test_the_redis_cache_keeps_one_client_per_pool():
    """CACHE_URL=redis://... is Django's Redis cache (omnishop/cache.py) keeping its clients: a
    throttled request's several cache calls do not each build a new one."""
    from django.core.cache.backends.base import BaseCache

    from omnishop.cache import RedisCache

    cache = RedisCache(redis_url(), {"KEY_PREFIX": "test-cache-clients"})
    assert isinstance(cache, BaseCache)
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client and cache._cache.get_client() is client
    cache.delete_many(["budget", "n"])
    cache.set("budget", [1, 2], 30)
    assert cache.get("budget") == [1, 2]
    assert cache.add("n", 0) and cache.incr("n") == 1
    cache.delete_many(["budget", "n"])
    assert cache.get("budget") is None
