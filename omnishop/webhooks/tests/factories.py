"""Factories for webhook tests. Channels are made through the app registry: omnishop/ code
(its tests included) imports no domain app."""

import factory
from django.apps import apps
from django.utils import timezone

from omnishop.outbox.models import event_id

from ..models import WebhookDelivery, WebhookSubscription


def channel(code: str):
    Channel = apps.get_model("catalog", "Channel")
    return Channel.objects.get_or_create(code=code, defaults={"name": code.title(), "kind": "marketplace"})[0]


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookSubscription

    name = factory.Sequence(lambda n: f"Receiver {n}")
    url = factory.Sequence(lambda n: f"https://erp.example.pl/hooks/{n}")
    event_types = factory.LazyFunction(lambda: ["order.*"])


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    subscription = factory.SubFactory(SubscriptionFactory)
    event_id = factory.LazyFunction(event_id)
    event_type = "order.placed"
    aggregate_type = "order"
    aggregate_id = factory.Sequence(lambda n: f"OS-{n}")
    payload = factory.LazyAttribute(lambda o: {"number": o.aggregate_id, "channel": "web"})
    sequence = factory.Sequence(lambda n: n + 1)
    occurred_at = factory.LazyFunction(timezone.now)
