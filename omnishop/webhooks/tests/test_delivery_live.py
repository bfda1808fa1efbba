"""End to end, with a real Redis broker, a real Celery worker process (its beat included, so the
sweeper runs every second) and a real HTTP receiver on 127.0.0.1: events committed in this
process arrive signed, in order per aggregate, retried, dead-lettered, re-delivered, and
survive a killed worker and a broker that is down at commit time."""

import logging
import time
from collections import Counter, defaultdict

import pytest
from django.db import transaction
from django.urls import reverse

from omnishop.outbox.models import OutboxEvent
from omnishop.outbox.services import OutboxMessage, outbox_emit, outbox_emit_many
from omnishop.tests.celery_worker import CeleryWorker, HttpReceiver, celery_broker, wait_until
from omnishop.tests.live_servers import free_port
from omnishop.webhooks.models import WebhookAttempt, WebhookDelivery
from omnishop.webhooks.services import subscription_create
from omnishop.webhooks.signing import signature_verify

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

WORKER_ENV = {
    "OMNISHOP_WEBHOOKS_SWEEP_SECONDS": "1",
    "OMNISHOP_WEBHOOKS_SWEEP_GRACE_SECONDS": "1",
    "OMNISHOP_WEBHOOKS_LEASE_SECONDS": "3",
    "OMNISHOP_WEBHOOKS_RETRY_BASE_SECONDS": "0.2",
    "OMNISHOP_WEBHOOKS_READ_TIMEOUT": "10",
}


class Script:
    """What the receiver answers, changed by each test."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.status = 200
        self.hold = None  # a threading.Event the receiver waits on before answering

    def __call__(self, received):
        if self.hold is not None:
            self.hold.wait(timeout=30)
        return self.status, f"answer {self.status}"


SCRIPT = Script()


@pytest.fixture(scope="module")
def receiver():
    with HttpReceiver(respond=SCRIPT) as receiver:
        yield receiver


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    with CeleryWorker(beat=True, env=WORKER_ENV) as worker:
        yield worker


@pytest.fixture
def live(worker, receiver):
    SCRIPT.reset()
    receiver.clear()
    if worker.process.poll() is not None:
        worker.start()
    with celery_broker(worker):
        yield worker, receiver
    _quiet()


def _quiet():
    """Wait for the worker to finish what it holds, so the next test starts clean."""
    SCRIPT.reset()
    wait_until(
        lambda: not WebhookDelivery.objects.filter(lease_until__isnull=False).exists(),
        timeout=30,
        message="the worker to release its deliveries",
    )


def _emit(order: int, n: int, *, channel: str = "web"):
    with transaction.atomic():
        outbox_emit(
            type="order.status_changed",
            aggregate_type="order",
            aggregate_id=f"OS-{order}",
            payload={"number": f"OS-{order}", "n": n, "channel": channel},
        )


def _subscription(receiver, **kwargs):
    kwargs.setdefault("event_types", ["order.*"])
    return subscription_create(name=kwargs.pop("name", "ERP"), url=receiver.url, **kwargs)


def _delivered(count: int, **filters):
    return wait_until(
        lambda: WebhookDelivery.objects.filter(status="delivered", **filters).count() >= count,
        timeout=30,
        message=f"{count} deliveries",
    )


def test_events_arrive_signed_and_in_order_per_order(live):
    _worker, receiver = live
    subscription = _subscription(receiver)
    other = _subscription(receiver, name="Marketplace only", event_types=["stock.changed"])
    for n in range(5):
        for order in range(3):
            _emit(order, n)
    _delivered(15)
    requests = receiver.received()
    assert len(requests) == 15
    seen = defaultdict(list)
    for request in requests:
        headers = request.headers
        assert signature_verify(
            secret=subscription.secret,
            timestamp=headers["x-omnishop-timestamp"],
            body=request.body,
            header=headers["x-omnishop-signature"],
        )
        assert not signature_verify(
            secret=other.secret,
            timestamp=headers["x-omnishop-timestamp"],
            body=request.body,
            header=headers["x-omnishop-signature"],
        )
        assert abs(int(headers["x-omnishop-timestamp"]) - time.time()) < 60
        body = request.json()
        assert headers["x-omnishop-event-id"] == body["id"]
        assert headers["x-omnishop-event-type"] == body["type"] == "order.status_changed"
        assert headers["x-omnishop-event-version"] == str(body["version"]) == "1"
        assert set(body) == {"id", "type", "version", "occurred_at", "aggregate", "data"}
        assert body["aggregate"]["type"] == "order"
        seen[body["aggregate"]["id"]].append(body["data"]["n"])
    assert seen == {f"OS-{o}": [0, 1, 2, 3, 4] for o in range(3)}
    assert not WebhookDelivery.objects.filter(subscription=other).exists()
    assert not OutboxEvent.objects.filter(delivered_at__isnull=True).exists()


def test_a_failing_receiver_gets_retries_then_the_dead_letter_then_a_redelivery_from_admin(live, admin_client):
    _worker, receiver = live
    SCRIPT.status = 500
    _subscription(receiver, max_attempts=3)
    _emit(1, 0)
    delivery = wait_until(
        lambda: WebhookDelivery.objects.filter(status="dead").first(), timeout=30, message="the dead letter"
    )
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery))
    assert [a.status_code for a in attempts] == [500, 500, 500]
    assert all(a.response_excerpt == "answer 500" and a.latency_ms >= 0 for a in attempts)
    assert delivery.attempts == 3 and delivery.last_status_code == 500
    first_ids = {r.headers["x-omnishop-event-id"] for r in receiver.received()}
    assert first_ids == {str(delivery.event_id)} and len(receiver.received()) == 3

    SCRIPT.status = 204  # the subscriber fixed its side
    response = admin_client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"action": "deliver_again", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    _delivered(1)
    assert receiver.received()[-1].headers["x-omnishop-event-id"] == str(delivery.event_id)
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 1
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 4


def test_a_dead_delivery_does_not_hold_back_the_next_events_of_its_order(live):
    _worker, receiver = live
    refuse_first = {"left": 2}

    def respond(received):
        if received.json()["data"]["n"] == 0 and refuse_first["left"]:
            refuse_first["left"] -= 1
            return 503, "busy"
        return 200, "ok"

    receiver_respond, receiver.respond = receiver.respond, respond
    try:
        _subscription(receiver, max_attempts=2)
        for n in range(3):
            _emit(7, n)
        _delivered(2)
    finally:
        receiver.respond = receiver_respond
    assert [r.json()["data"]["n"] for r in receiver.received()] == [0, 0, 1, 2]
    assert WebhookDelivery.objects.get(payload__n=0).status == "dead"


def test_the_worker_killed_mid_delivery_delivers_after_restart(live):
    worker, receiver = live
    import threading

    SCRIPT.hold = threading.Event()
    _subscription(receiver)
    _emit(3, 0)
    wait_until(lambda: receiver.received(), timeout=20, message="the first POST")
    worker.kill()  # while the receiver holds the request: no answer was read, nothing recorded
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.lease_until is not None
    SCRIPT.hold.set()
    SCRIPT.hold = None
    worker.start()
    _delivered(1)
    ids = [r.headers["x-omnishop-event-id"] for r in receiver.received()]
    assert ids == [str(delivery.event_id)] * 2  # at least once: the same event id again


def test_the_broker_down_at_commit_the_sweeper_delivers_later(live, caplog):
    _worker, receiver = live
    _subscription(receiver)
    with celery_broker(url=f"redis://127.0.0.1:{free_port()}/0"), caplog.at_level(logging.WARNING):
        for n in range(3):
            _emit(4, n)
    assert "fan-out not queued" in caplog.text
    assert "OS-4" not in caplog.text  # no event data in the log
    assert OutboxEvent.objects.filter(delivered_at__isnull=True).count() == 3
    _delivered(3)
    assert [r.json()["data"]["n"] for r in receiver.received()] == [0, 1, 2]


def test_a_rolled_back_transaction_emits_nothing(live):
    _worker, receiver = live
    _subscription(receiver)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        outbox_emit(type="order.placed", aggregate_type="order", aggregate_id="OS-9", payload={"channel": "web"})
        1 / 0  # noqa: B018
    _emit(5, 0)  # a committed one after it, to know the worker has looked
    _delivered(1)
    time.sleep(1.5)  # a sweep period: nothing else turns up
    assert [r.json()["data"]["number"] for r in receiver.received()] == ["OS-5"]
    assert not OutboxEvent.objects.filter(aggregate_id="OS-9").exists()


def test_a_thousand_events_across_fifty_orders_none_lost(live):
    _worker, receiver = live
    _subscription(receiver)
    for n in range(20):  # 1,000 small transactions, the orders' steps interleaved
        for order in range(50):
            with transaction.atomic():
                outbox_emit_many(
                    events=[
                        OutboxMessage(
                            "order.status_changed",
                            "order",
                            f"OS-{order}",
                            {"number": f"OS-{order}", "n": n, "channel": "web"},
                        )
                    ]
                )
    _delivered(1000)
    # Re-deliver ten: duplicates carry the same event id.
    again = list(WebhookDelivery.objects.order_by("?")[:10])
    from omnishop.webhooks.services import deliveries_redeliver

    deliveries_redeliver(deliveries=again)
    wait_until(lambda: len(receiver.received()) >= 1010, timeout=30, message="the re-deliveries")
    requests = receiver.received()
    ids = Counter(r.headers["x-omnishop-event-id"] for r in requests)
    expected = {str(e) for e in WebhookDelivery.objects.values_list("event_id", flat=True)}
    assert set(ids) == expected and len(expected) == 1000  # 0 lost
    assert {i for i, c in ids.items() if c > 1} == {str(d.event_id) for d in again}
    bodies = defaultdict(set)
    for r in requests:
        bodies[r.headers["x-omnishop-event-id"]].add(r.body)
    assert all(len(b) == 1 for b in bodies.values())  # a duplicate is the same event
    first_arrival = defaultdict(list)
    for r in requests[:1000]:
        first_arrival[r.json()["aggregate"]["id"]].append(r.json()["data"]["n"])
    assert all(ns == list(range(20)) for ns in first_arrival.values()) and len(first_arrival) == 50
