"""The webhook services in-process: which subscription gets which event, the claim's ordering
per aggregate, leases, outcomes, retries, the sweeper's catch-up and the purge."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from omnishop.outbox.models import OutboxEvent
from omnishop.outbox.services import OutboxMessage, outbox_emit_many
from omnishop.webhooks import services
from omnishop.webhooks.models import WebhookAttempt, WebhookDelivery, event_type_matches
from omnishop.webhooks.sender import AttemptResult, delivery_body, delivery_headers
from omnishop.webhooks.signing import signature_verify

from .factories import DeliveryFactory, SubscriptionFactory, channel

pytestmark = pytest.mark.django_db


def _emit(*messages):
    with transaction.atomic():
        outbox_emit_many(events=list(messages))


def _order_event(number: str, n: int, *, type="order.status_changed", channel_code="web"):
    return OutboxMessage(type, "order", number, {"number": number, "n": n, "channel": channel_code})


@pytest.mark.parametrize(
    ("patterns", "event_type", "matches"),
    [
        (["*"], "stock.changed", True),
        (["order.*"], "order.placed", True),
        (["order.*"], "orders.placed", False),
        (["order.*"], "order", False),
        (["order.placed"], "order.placed", True),
        (["order.placed"], "order.placed_again", False),
        (["return.*", "stock.changed"], "stock.changed", True),
    ],
)
def test_event_type_patterns(patterns, event_type, matches):
    assert event_type_matches(patterns, event_type) is matches


def test_fan_out_makes_a_delivery_per_matching_active_subscription_and_marks_events_delivered():
    allegro = channel("allegro")
    everything = SubscriptionFactory(event_types=["*"])
    orders = SubscriptionFactory(event_types=["order.*"])
    marketplace = SubscriptionFactory(event_types=["*"], channel=allegro)
    SubscriptionFactory(event_types=["*"], is_active=False)
    _emit(
        _order_event("OS-1", 0),
        _order_event("OS-2", 0, channel_code="allegro"),
        OutboxMessage("stock.changed", "stock", "SKU@WAW", {"sku": "SKU"}, 1, "stock.changed:SKU:WAW"),
    )
    assert services.deliveries_fan_out() == 3
    got = {(d.subscription_id, d.aggregate_id) for d in WebhookDelivery.objects.all()}
    assert got == {
        (everything.pk, "OS-1"),
        (everything.pk, "OS-2"),
        (everything.pk, "SKU@WAW"),
        (orders.pk, "OS-1"),
        (orders.pk, "OS-2"),
        (marketplace.pk, "OS-2"),
    }
    assert not OutboxEvent.objects.filter(delivered_at__isnull=True).exists()
    assert services.deliveries_fan_out() == 0  # run again: nothing new, nothing twice
    assert WebhookDelivery.objects.count() == 6


def test_events_without_subscribers_are_marked_delivered_too():
    _emit(_order_event("OS-1", 0))
    assert services.deliveries_fan_out() == 1
    assert not WebhookDelivery.objects.exists()
    assert OutboxEvent.objects.get().delivered_at is not None


def test_the_claim_takes_only_the_first_open_delivery_of_each_aggregate():
    subscription = SubscriptionFactory()
    for n in range(3):
        for number in ("OS-1", "OS-2"):
            DeliveryFactory(subscription=subscription, aggregate_id=number, payload={"n": n})
    claim = services.deliveries_claim()
    assert sorted((d.aggregate_id, d.payload["n"]) for d in claim.deliveries) == [("OS-1", 0), ("OS-2", 0)]
    assert services.deliveries_claim().deliveries == []  # leased, and the next ones wait behind them
    results = [AttemptResult(d.pk, 200, 5, "ok", "") for d in claim.deliveries]
    assert services.deliveries_record(claim=claim, results=results)["delivered"] == 2
    again = services.deliveries_claim()
    assert sorted((d.aggregate_id, d.payload["n"]) for d in again.deliveries) == [("OS-1", 1), ("OS-2", 1)]


@override_settings(OMNISHOP_WEBHOOKS_RETRY_BASE_SECONDS=10)
def test_a_failure_retries_with_backoff_then_dies_and_stops_holding_back_the_next():
    subscription = SubscriptionFactory(max_attempts=2)
    first = DeliveryFactory(subscription=subscription, aggregate_id="OS-1")
    second = DeliveryFactory(subscription=subscription, aggregate_id="OS-1")
    claim = services.deliveries_claim()
    assert [d.pk for d in claim.deliveries] == [first.pk]
    outcome = services.deliveries_record(claim=claim, results=[AttemptResult(first.pk, 503, 7, "busy", "")])
    assert outcome["retrying"] == 1 and 8 <= outcome["retry_in"] <= 12
    first.refresh_from_db()
    assert first.status == "retrying" and first.next_attempt_at > timezone.now() + timedelta(seconds=7)
    assert services.deliveries_claim().deliveries == []  # not due, and the second waits behind it
    WebhookDelivery.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    claim = services.deliveries_claim()
    services.deliveries_record(claim=claim, results=[AttemptResult(first.pk, None, 3000, "", "ConnectTimeout: x")])
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("dead", 2)
    assert [d.pk for d in services.deliveries_claim().deliveries] == [second.pk]
    log = list(WebhookAttempt.objects.filter(delivery=first).values_list("status_code", "error"))
    assert log == [(503, ""), (None, "ConnectTimeout: x")]


def test_retry_delays_grow_exponentially_up_to_the_cap(settings):
    settings.OMNISHOP_WEBHOOKS_RETRY_BASE_SECONDS = 30
    settings.OMNISHOP_WEBHOOKS_RETRY_CAP_SECONDS = 3600
    for attempts, base in [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (20, 3600)]:
        delay = services.retry_delay(attempts)
        assert base * 0.8 <= delay <= base * 1.2


def test_an_expired_lease_makes_a_delivery_claimable_again_and_a_late_answer_is_ignored():
    delivery = DeliveryFactory()
    lost = services.deliveries_claim()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    taken = services.deliveries_claim()
    assert [d.pk for d in taken.deliveries] == [delivery.pk]
    services.deliveries_record(claim=lost, results=[AttemptResult(delivery.pk, 500, 1, "", "")])
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.lease_until == taken.lease_until  # the new owner's
    services.deliveries_record(claim=taken, results=[AttemptResult(delivery.pk, 200, 1, "", "")])
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 1


def test_the_signed_body_and_headers():
    delivery = DeliveryFactory(payload={"number": "OS-1", "total": {"amount": "10.00", "currency": "PLN"}})
    body = delivery_body(delivery)
    headers = delivery_headers(delivery, secret=delivery.subscription.secret, body=body, timestamp=1700000000)
    assert headers["X-Omnishop-Event-Id"] == str(delivery.event_id)
    assert headers["X-Omnishop-Signature"].startswith("v1=")
    assert signature_verify(
        secret=delivery.subscription.secret, timestamp="1700000000", body=body, header=headers["X-Omnishop-Signature"]
    )
    assert not signature_verify(
        secret=delivery.subscription.secret, timestamp="1700000001", body=body, header=headers["X-Omnishop-Signature"]
    )


def test_the_sweeper_fans_out_only_events_older_than_the_grace_period(settings):
    settings.OMNISHOP_WEBHOOKS_SWEEP_GRACE_SECONDS = 5
    SubscriptionFactory()
    _emit(_order_event("OS-1", 0))
    assert services.webhooks_sweep()["fanned_out"] == 0  # its after-commit dispatch may still come
    OutboxEvent.objects.update(updated_at=timezone.now() - timedelta(seconds=10))
    assert services.webhooks_sweep() == {"fanned_out": 1, "deliveries_due": 1}


def test_the_purge_keeps_dead_and_open_deliveries_and_recent_ones(settings):
    settings.OMNISHOP_WEBHOOKS_RETENTION_DAYS = 30
    old = timezone.now() - timedelta(days=31)
    purged = DeliveryFactory(status="delivered", attempts=1, delivered_at=old)
    WebhookAttempt.objects.create(delivery=purged, status_code=200)
    recent = DeliveryFactory(status="delivered", attempts=1, delivered_at=timezone.now())
    dead = DeliveryFactory(status="dead", attempts=8, created_at=old)
    _emit(_order_event("OS-1", 0), _order_event("OS-2", 0))
    OutboxEvent.objects.filter(aggregate_id="OS-1").update(delivered_at=old)
    assert services.webhooks_purge() == {"outbox_events": 1, "deliveries": 1}
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {recent.pk, dead.pk}
    assert list(OutboxEvent.objects.values_list("aggregate_id", flat=True)) == ["OS-2"]
    assert not WebhookAttempt.objects.exists()


def test_a_rolled_back_transaction_writes_no_event_and_no_delivery():
    SubscriptionFactory()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        outbox_emit_many(events=[_order_event("OS-1", 0)])
        1 / 0  # noqa: B018
    assert services.deliveries_fan_out() == 0
    assert not WebhookDelivery.objects.exists()
