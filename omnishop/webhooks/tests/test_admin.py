"""Webhooks in admin: the secret is shown once and masked after, rotated by an action; a test
event on demand; payloads only for who may see them; re-delivery of the whole filtered set."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from omnishop.accounts.tests.factories import UserFactory
from omnishop.webhooks.models import WebhookDelivery, WebhookSubscription

from .factories import DeliveryFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = reverse("admin:webhooks_webhooksubscription_changelist")
DELIVERIES = reverse("admin:webhooks_webhookdelivery_changelist")


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_subscription_made_in_admin_shows_its_secret_once_then_masked(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:webhooks_webhooksubscription_add"),
        {
            "name": "ERP",
            "url": "https://erp.example.pl/hooks",
            "event_types": "order.*\nstock.changed, transfer.shipped",
            "is_active": "on",
            "max_attempts": "8",
        },
        follow=True,
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.event_types == ["order.*", "stock.changed", "transfer.shipped"]
    assert subscription.created_by == admin_user
    assert subscription.secret in response.content.decode()  # once, in the message after saving
    page = admin_client.get(reverse("admin:webhooks_webhooksubscription_change", args=[subscription.pk]))
    text = page.content.decode()
    assert subscription.secret not in text and subscription.secret_masked in text
    assert subscription.secret not in admin_client.get(SUBSCRIPTIONS).content.decode()


def test_bad_event_types_are_refused_in_the_form(admin_client):
    response = admin_client.post(
        reverse("admin:webhooks_webhooksubscription_add"),
        {"name": "ERP", "url": "https://erp.example.pl/hooks", "event_types": "Order Placed", "max_attempts": "8"},
    )
    assert response.status_code == 200 and "Not an event type" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_rotate_the_secret_and_send_a_test_event(admin_client):
    subscription = SubscriptionFactory()
    old = subscription.secret
    response = admin_client.post(SUBSCRIPTIONS, {"action": "rotate_secret", "_selected_action": [subscription.pk]})
    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.secret_rotated_at is not None
    assert any(subscription.secret in m for m in _messages(response))
    admin_client.post(SUBSCRIPTIONS, {"action": "send_test_event", "_selected_action": [subscription.pk]})
    test = WebhookDelivery.objects.get(subscription=subscription)
    assert (test.event_type, test.status) == ("webhook.test", "pending")


def test_the_payload_is_shown_only_with_the_payload_permission(client):
    delivery = DeliveryFactory(payload={"number": "OS-77", "channel": "web"})
    url = reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk])
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    client.force_login(viewer)
    page = client.get(url)
    assert page.status_code == 200
    assert "&quot;number&quot;" not in page.content.decode()
    assert "deliver_again" not in client.get(DELIVERIES).content.decode()  # no re-delivery without change
    viewer.user_permissions.add(Permission.objects.get(codename="view_payload"))
    viewer = type(viewer).objects.get(pk=viewer.pk)
    client.force_login(viewer)
    assert "&quot;number&quot;: &quot;OS-77&quot;" in client.get(url).content.decode()


def test_deliver_again_on_the_whole_filtered_set(admin_client):
    subscription = SubscriptionFactory()
    dead = [DeliveryFactory(subscription=subscription, status="dead", attempts=8) for _ in range(3)]
    delivered = DeliveryFactory(
        subscription=subscription, status="delivered", attempts=1, delivered_at="2026-01-01T00:00Z"
    )
    response = admin_client.post(
        f"{DELIVERIES}?status__exact=dead",
        {"action": "deliver_again", "select_across": "1", "index": "0", "_selected_action": [dead[0].pk]},
    )
    assert response.status_code == 302
    statuses = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert all(statuses[d.pk] == "pending" for d in dead) and statuses[delivered.pk] == "delivered"
    assert "3 deliveries queued again." in _messages(response)


def test_the_deliveries_list_filters_and_opens(admin_client):
    DeliveryFactory(status="dead", attempts=8, event_type="order.cancelled")
    for query in ("", "?status__exact=dead", "?event_type=order.cancelled", "?q=OS-"):
        assert admin_client.get(DELIVERIES + query).status_code == 200, query
