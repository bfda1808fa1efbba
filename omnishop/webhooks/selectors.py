"""Reads for webhooks, scoped to who asks: staff see everything, a channel's API key only the
subscriptions (and their deliveries) of its channel."""

from django.db.models import QuerySet

from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def subscription_list_for(*, channel=None) -> QuerySet[WebhookSubscription]:
    queryset = WebhookSubscription.objects.select_related("channel").order_by("pk")
    return queryset if channel is None else queryset.filter(channel=channel)


def delivery_list_for(*, channel=None) -> QuerySet[WebhookDelivery]:
    queryset = WebhookDelivery.objects.select_related("subscription").order_by("-sequence", "-pk")
    return queryset if channel is None else queryset.filter(subscription__channel=channel)


def attempt_list(*, delivery: WebhookDelivery) -> QuerySet[WebhookAttempt]:
    return WebhookAttempt.objects.filter(delivery=delivery).order_by("at", "pk")
