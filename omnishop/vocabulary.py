"""Words every domain app uses the same way, defined once: how an order reaches the customer and
how it is paid. They sit here, below every app, because pricing (loyalty) and orders both read
them; this module imports no domain app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FulfilmentType(models.TextChoices):
    DELIVERY = "delivery", _("Home delivery")
    CLICK_AND_COLLECT = "click_and_collect", _("Click & collect")
    ROPIS = "ropis", _("Reserve online, try in store")
    # A sale at a store's till, recorded by the POS after it happened (never placed or routed).
    IN_STORE = "in_store", _("Bought at the till")


# What a checkout (API, admin) may choose: a till sale comes only from the POS.
CHECKOUT_FULFILMENT_CHOICES = [
    (value, label) for value, label in FulfilmentType.choices if value != FulfilmentType.IN_STORE
]

# Collected in a store (click & collect and reserve-online-try-in-store alike).
PICKUP_FULFILMENTS = frozenset({FulfilmentType.CLICK_AND_COLLECT, FulfilmentType.ROPIS})


class PaymentMethod(models.TextChoices):
    """The payment methods an order may be placed with, in every channel (API and admin alike)."""

    CARD = "card", _("Card")
    BLIK = "blik", _("BLIK")
    TRANSFER = "transfer", _("Bank transfer")
    PAY_IN_STORE = "pay_in_store", _("Pay in store")
    MARKETPLACE = "marketplace", _("Paid on the marketplace")


# What a checkout (API, admin) may choose: a marketplace's payment comes only with its import.
CHECKOUT_PAYMENT_CHOICES = [
    (value, label) for value, label in PaymentMethod.choices if value != PaymentMethod.MARKETPLACE
]


class NotificationChannel(models.TextChoices):
    """How a message reaches a person: a customer's preference (customers) and a notification's
    channel (omnishop.notifications) use the same words."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PUSH = "push", _("Push (mobile app)")
