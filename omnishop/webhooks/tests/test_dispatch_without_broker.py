"""`make run` has no broker and no beat: events still reach a subscriber, after the commit."""

import json

import pytest
from django.db import transaction

from omnishop.outbox.models import OutboxEvent
from omnishop.outbox.services import outbox_emit
from omnishop.tests.celery_worker import HttpReceiver
from omnishop.webhooks.models import WebhookDelivery
from omnishop.webhooks.services import subscription_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_without_a_broker_a_laptop_delivers_after_each_commit(settings):
    settings.OMNISHOP_WEBHOOKS_DISPATCH_WITHOUT_BROKER = True  # what settings.local sets
    with HttpReceiver() as receiver:
        subscription_create(name="Local", url=receiver.url, event_types=["location.*"])
        with transaction.atomic():
            event = outbox_emit(
                type="location.updated", aggregate_type="location", aggregate_id="waw", payload={"code": "waw"}
            )
            assert receiver.received() == []  # nothing leaves before the commit
        assert [json.loads(r.body)["id"] for r in receiver.received()] == [str(event.pk)]
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED
    assert OutboxEvent.objects.filter(delivered_at__isnull=True).count() == 0


def test_the_test_settings_leave_delivery_to_the_worker_and_the_sweeper(settings):
    assert settings.OMNISHOP_WEBHOOKS_DISPATCH_WITHOUT_BROKER is False
    with HttpReceiver() as receiver:
        subscription_create(name="Local", url=receiver.url, event_types=["location.*"])
        with transaction.atomic():
            outbox_emit(type="location.updated", aggregate_type="location", aggregate_id="waw", payload={})
        assert receiver.received() == []
    assert OutboxEvent.objects.filter(delivered_at__isnull=True).count() == 1
