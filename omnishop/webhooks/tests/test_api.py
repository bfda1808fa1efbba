"""REST for webhooks: who sees and changes what, validation, the error body, query counts."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from omnishop.accounts.tests.factories import UserFactory
from omnishop.apikeys.services import apikey_create
from omnishop.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

from .factories import DeliveryFactory, SubscriptionFactory, channel

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = "/api/v1/webhooks/subscriptions/"
DELIVERIES = "/api/v1/webhooks/deliveries/"


def _staff(*codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="webhooks", codename__in=codenames))
    return user


def _key(code: str, scopes=("webhooks:manage",)) -> dict:
    _row, plain = apikey_create(channel=channel(code), name=f"{code} key", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Api-Key {plain}"}


@pytest.fixture
def world():
    allegro, empik = channel("allegro"), channel("empik")
    mine = SubscriptionFactory(name="Allegro ERP", channel=allegro)
    theirs = SubscriptionFactory(name="Empik ERP", channel=empik)
    everything = SubscriptionFactory(name="Data warehouse", event_types=["*"])
    return {
        "mine": mine,
        "theirs": theirs,
        "everything": everything,
        "my_delivery": DeliveryFactory(subscription=mine, payload={"channel": "allegro", "number": "OS-1"}),
        "their_delivery": DeliveryFactory(subscription=theirs, payload={"channel": "empik", "number": "OS-2"}),
    }


def test_anonymous_callers_and_customers_are_refused(api_client, world):
    assert api_client.get(SUBSCRIPTIONS).json()["type"] == "not_authenticated"
    api_client.force_authenticate(UserFactory())
    response = api_client.get(SUBSCRIPTIONS)
    assert response.status_code == 403 and response.json()["type"] == "permission_denied"


def test_staff_need_the_model_permission_for_each_method(api_client, world):
    api_client.force_authenticate(_staff("view_webhooksubscription"))
    names = {s["name"] for s in api_client.get(SUBSCRIPTIONS).json()["results"]}
    assert names == {"Allegro ERP", "Empik ERP", "Data warehouse"}
    body = {"name": "CRM", "url": "https://crm.example.pl/in", "event_types": ["order.placed"]}
    assert api_client.post(SUBSCRIPTIONS, body, format="json").status_code == 403
    delete = api_client.delete(f"{SUBSCRIPTIONS}{world['theirs'].pk}/")
    assert delete.status_code == 403 and delete.json()["type"] == "permission_denied"
    assert api_client.get(DELIVERIES).status_code == 403  # deliveries are another permission


def test_staff_create_update_and_delete(api_client, world):
    api_client.force_authenticate(_staff("add_webhooksubscription", "change_webhooksubscription"))
    body = {"name": "CRM", "url": "https://crm.example.pl/in", "event_types": ["order.placed", "transfer.*"]}
    created = api_client.post(SUBSCRIPTIONS, {**body, "channel": "empik"}, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    subscription = WebhookSubscription.objects.get(pk=data["id"])
    assert data["secret"] == subscription.secret and len(subscription.secret) >= 43
    assert data["channel"] == "empik" and data["secret_hint"].endswith(subscription.secret[-2:])
    patched = api_client.patch(f"{SUBSCRIPTIONS}{subscription.pk}/", {"is_active": False}, format="json")
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert "secret" not in patched.json()
    put = api_client.put(f"{SUBSCRIPTIONS}{subscription.pk}/", {**body, "name": "CRM 2"}, format="json")
    assert put.json()["name"] == "CRM 2" and put.json()["channel"] is None
    api_client.force_authenticate(_staff("delete_webhooksubscription"))
    assert api_client.delete(f"{SUBSCRIPTIONS}{subscription.pk}/").status_code == 204
    assert not WebhookSubscription.objects.filter(pk=subscription.pk).exists()


@pytest.mark.parametrize(
    "event_types",
    [
        [],
        ["Order.Placed"],
        ["order..placed"],
        ["order.*.x"],
        ["**"],
        "order.placed",
        [""],
        ["order placed"],
        ["order.plcaed"],  # well formed, but no such event in the catalogue
        ["basket.*"],
    ],
)
def test_event_types_are_checked(api_client, event_types):
    api_client.force_authenticate(_staff("add_webhooksubscription"))
    body = {"name": "CRM", "url": "https://crm.example.pl/in", "event_types": event_types}
    response = api_client.post(SUBSCRIPTIONS, body, format="json")
    assert response.status_code == 400 and response.json()["type"] == "validation_error"
    assert all(key.startswith("event_types") for key in response.json()["errors"])
    assert not WebhookSubscription.objects.exists()


def test_a_bad_url_or_attempt_budget_is_a_400(api_client):
    api_client.force_authenticate(_staff("add_webhooksubscription"))
    body = {"name": "CRM", "url": "not a url", "event_types": ["*"], "max_attempts": 0}
    errors = api_client.post(SUBSCRIPTIONS, body, format="json").json()["errors"]
    assert set(errors) == {"url", "max_attempts"}


def test_a_channel_key_sees_and_creates_only_its_channels_subscriptions(api_client, world):
    auth = _key("allegro")
    listed = api_client.get(SUBSCRIPTIONS, **auth).json()
    assert [s["name"] for s in listed["results"]] == ["Allegro ERP"]
    assert api_client.get(f"{SUBSCRIPTIONS}{world['theirs'].pk}/", **auth).status_code == 404
    assert api_client.get(f"{SUBSCRIPTIONS}{world['everything'].pk}/", **auth).status_code == 404
    assert api_client.delete(f"{SUBSCRIPTIONS}{world['theirs'].pk}/", **auth).status_code == 404
    body = {"name": "Mine", "url": "https://allegro.example.pl/in", "event_types": ["channel_stock.changed"]}
    created = api_client.post(SUBSCRIPTIONS, body, format="json", **auth)
    assert created.status_code == 201 and created.json()["channel"] == "allegro"
    other = api_client.post(SUBSCRIPTIONS, {**body, "channel": "empik"}, format="json", **auth)
    assert other.status_code == 403 and other.json()["type"] == "channel_mismatch"
    moved = api_client.patch(f"{SUBSCRIPTIONS}{world['mine'].pk}/", {"channel": None}, format="json", **auth)
    assert moved.status_code == 200 and moved.json()["channel"] == "allegro"
    assert WebhookSubscription.objects.filter(channel__code="allegro").count() == 2


def test_a_key_without_the_scope_is_refused(api_client, world):
    auth = _key("allegro", scopes=["orders:write", "stock:read"])
    for method, url in (("get", SUBSCRIPTIONS), ("get", DELIVERIES), ("post", SUBSCRIPTIONS)):
        response = getattr(api_client, method)(url, {}, format="json", **auth)
        assert response.status_code == 403 and response.json()["type"] == "permission_denied"


def test_a_key_sees_its_channels_deliveries_with_payloads(api_client, world):
    auth = _key("allegro")
    results = api_client.get(DELIVERIES, **auth).json()["results"]
    assert [d["id"] for d in results] == [world["my_delivery"].pk]
    assert results[0]["payload"] == {"channel": "allegro", "number": "OS-1"}
    assert results[0]["aggregate"] == {"type": "order", "id": world["my_delivery"].aggregate_id}
    assert api_client.get(f"{DELIVERIES}{world['their_delivery'].pk}/", **auth).status_code == 404
    refused = api_client.post(f"{DELIVERIES}{world['their_delivery'].pk}/redeliver/", **auth)
    assert refused.status_code == 404 and refused.json()["type"] == "not_found"


def test_staff_see_payloads_only_with_the_payload_permission(api_client, world):
    api_client.force_authenticate(_staff("view_webhookdelivery"))
    url = f"{DELIVERIES}{world['my_delivery'].pk}/"
    assert api_client.get(url).json()["payload"] is None
    assert all(d["payload"] is None for d in api_client.get(DELIVERIES).json()["results"])
    api_client.force_authenticate(_staff("view_webhookdelivery", "view_payload"))
    assert api_client.get(url).json()["payload"]["number"] == "OS-1"


def test_deliveries_filter_by_status_subscription_and_type(api_client, world):
    dead = DeliveryFactory(subscription=world["mine"], status="dead", attempts=8, event_type="order.cancelled")
    api_client.force_authenticate(_staff("view_webhookdelivery"))
    by_status = api_client.get(DELIVERIES, {"status": "dead"}).json()["results"]
    assert [d["id"] for d in by_status] == [dead.pk]
    by_subscription = api_client.get(DELIVERIES, {"subscription": world["mine"].pk}).json()["results"]
    assert {d["id"] for d in by_subscription} == {dead.pk, world["my_delivery"].pk}
    assert api_client.get(DELIVERIES, {"event_type": "order.cancelled"}).json()["count"] == 1
    later = (timezone.now() + timezone.timedelta(hours=1)).isoformat()
    assert api_client.get(DELIVERIES, {"created_after": later}).json()["count"] == 0
    bad = api_client.get(DELIVERIES, {"status": "lost"})
    assert bad.status_code == 400 and bad.json()["type"] == "validation_error"


def test_redeliver_resets_a_dead_delivery_keeping_its_event_id_and_log(api_client, world):
    delivery = DeliveryFactory(subscription=world["mine"], status="dead", attempts=8, last_status_code=500)
    WebhookAttempt.objects.create(delivery=delivery, status_code=500)
    api_client.force_authenticate(_staff("view_webhookdelivery"))
    assert api_client.post(f"{DELIVERIES}{delivery.pk}/redeliver/").status_code == 403
    api_client.force_authenticate(_staff("view_webhookdelivery", "change_webhookdelivery"))
    response = api_client.post(f"{DELIVERIES}{delivery.pk}/redeliver/")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending" and response.json()["event_id"] == str(delivery.event_id)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert delivery.attempt_log.count() == 1


def test_a_delivery_being_sent_is_not_redelivered(api_client, world):
    delivery = world["my_delivery"]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() + timezone.timedelta(minutes=1))
    response = api_client.post(f"{DELIVERIES}{delivery.pk}/redeliver/", **_key("allegro"))
    assert response.status_code == 409 and response.json()["type"] == "delivery_in_progress"


def _count(api_client, url, auth) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api_client.get(url, {"page_size": 100}, **auth)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(subscription, n: int):
    for _ in range(n):
        SubscriptionFactory(channel=subscription.channel)
        delivery = DeliveryFactory(subscription=subscription, payload={"channel": "allegro"})
        WebhookAttempt.objects.create(delivery=delivery, status_code=500)


@pytest.mark.parametrize("who", ["staff", "key"])
@pytest.mark.parametrize("url", [SUBSCRIPTIONS, DELIVERIES])
def test_list_query_counts_hold_when_rows_triple(api_client, world, who, url):
    if who == "key":
        auth = _key("allegro")
    else:
        api_client.force_authenticate(
            _staff("view_webhooksubscription", "view_webhookdelivery", "view_payload"),
        )
        auth = {}
    _grow(world["mine"], 2)
    _count(api_client, url, auth)
    small = _count(api_client, url, auth)
    _grow(world["mine"], 6)
    assert _count(api_client, url, auth) == small


def test_delivery_detail_query_count_holds_when_attempts_triple(api_client, world):
    auth = _key("allegro")
    delivery = world["my_delivery"]
    url = f"{DELIVERIES}{delivery.pk}/"
    WebhookAttempt.objects.bulk_create([WebhookAttempt(delivery=delivery, status_code=500) for _ in range(2)])
    _count(api_client, url, auth)
    small = _count(api_client, url, auth)
    WebhookAttempt.objects.bulk_create([WebhookAttempt(delivery=delivery, status_code=500) for _ in range(6)])
    assert _count(api_client, url, auth) == small
    assert len(api_client.get(url, **auth).json()["attempt_log"]) == 8
