from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Channel
from catalog.tests.factories import ChannelFactory
from omnishop.apikeys.models import ChannelAPIKey
from omnishop.apikeys.services import apikey_create, apikey_revoke

URL = "/api/v1/channel/"


@pytest.fixture
def marketplaces(db):
    ChannelFactory(code="web", kind=Channel.Kind.WEB)
    return {
        "allegro": ChannelFactory(code="allegro", kind=Channel.Kind.MARKETPLACE, api_key_required=True),
        "empik": ChannelFactory(code="empik", kind=Channel.Kind.MARKETPLACE, api_key_required=True),
    }


def auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def test_key_acts_as_its_channel(api_client, marketplaces):
    _row, key = apikey_create(channel=marketplaces["allegro"], name="Allegro integration")
    response = api_client.get(URL, **auth(key))
    assert response.status_code == 200
    assert response.json()["code"] == "allegro"
    # Declaring its own channel is fine.
    assert api_client.get(URL, HTTP_X_CHANNEL="allegro", **auth(key)).status_code == 200


@pytest.mark.parametrize("how", ["header", "query"])
def test_key_for_channel_a_cannot_act_as_channel_b(api_client, marketplaces, how):
    _row, key = apikey_create(channel=marketplaces["allegro"], name="Allegro")
    kwargs = {"HTTP_X_CHANNEL": "empik"} if how == "header" else {"data": {"channel": "empik"}}
    for url in (URL, "/api/v1/products/"):
        response = api_client.get(url, **kwargs, **auth(key))
        assert response.status_code == 403
        body = response.json()
        assert body["type"] == "channel_mismatch"
        assert "allegro" in body["detail"] and "empik" in body["detail"]


def test_channel_that_requires_a_key_cannot_be_declared_without_it(api_client, marketplaces):
    response = api_client.get(URL, HTTP_X_CHANNEL="allegro")
    assert response.status_code == 401
    assert response.json()["type"] == "api_key_required"
    assert response["WWW-Authenticate"] == "Api-Key"


def test_revoked_key_fails(api_client, marketplaces):
    row, key = apikey_create(channel=marketplaces["allegro"], name="Allegro")
    assert api_client.get(URL, **auth(key)).status_code == 200
    apikey_revoke(key=row)
    response = api_client.get(URL, **auth(key))
    assert response.status_code == 401
    assert response.json()["type"] == "invalid_api_key"
    row.refresh_from_db()
    assert row.revoked and row.revoked_at is not None


def test_expired_key_fails(api_client, marketplaces):
    _row, key = apikey_create(
        channel=marketplaces["allegro"], name="Old", expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = api_client.get(URL, **auth(key))
    assert response.status_code == 401 and response.json()["type"] == "expired_api_key"


def test_key_of_inactive_channel_fails(api_client, marketplaces):
    _row, key = apikey_create(channel=marketplaces["empik"], name="Empik")
    Channel.objects.filter(code="empik").update(is_active=False)
    assert api_client.get(URL, **auth(key)).status_code == 401


@pytest.mark.parametrize("bad", ["garbage", "abcdefgh.wrongsecretwrongsecretwrongsecret"])
def test_unknown_keys_fail(api_client, marketplaces, bad):
    _row, key = apikey_create(channel=marketplaces["allegro"], name="Allegro")
    if bad.startswith("abcdefgh"):
        bad = key.split(".")[0] + ".wrongsecret"  # right prefix, wrong secret
    response = api_client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {bad}")
    assert response.status_code == 401 and response.json()["type"] == "invalid_api_key"


def test_key_is_hashed_at_rest_and_last_use_is_recorded(api_client, marketplaces, settings):
    settings.OMNISHOP_APIKEY_LAST_USED_RESOLUTION_SECONDS = 0
    row, key = apikey_create(channel=marketplaces["allegro"], name="Allegro")
    stored = ChannelAPIKey.objects.filter(pk=row.pk).values().get()
    assert key not in str(stored.values())
    assert stored["hashed_key"].startswith("sha512$$")
    assert row.last_used_at is None
    api_client.get(URL, **auth(key))
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_last_used_is_not_written_on_every_request(api_client, marketplaces, django_assert_num_queries):
    _row, key = apikey_create(channel=marketplaces["allegro"], name="Allegro")
    api_client.get(URL, **auth(key))  # first use: written
    with django_assert_num_queries(1):  # just the key lookup (channel joined)
        api_client.get(URL, **auth(key))
