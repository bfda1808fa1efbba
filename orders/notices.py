"""What orders tells its customers, and when: one notice per moment of an order's life, each
building the message's context from the order (never its pickup code: the notification reads
that at send time through the ``pickup_code`` provider registered here) and handing it to
``omnishop.notifications`` in the caller's transaction, so a rolled-back change tells nobody.

Who is told: the order's contact (completed from the customer or the company at placement), in
the customer's language and preferred channel; a guest in the language the order was placed in.
Every notice here is transactional: it needs no marketing consent."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from omnishop.notifications.registry import NotificationTemplate, secret_provider_register, template_register
from omnishop.notifications.services import notification_send

from .models import Fulfilment, Order


class Notice(StrEnum):
    """The notification templates of orders (``templates/notifications/<key>/``)."""

    ORDER_PLACED = "order_placed"
    PAYMENT_FAILED = "payment_failed"
    PICKUP_READY = "pickup_ready"
    PICKUP_REMINDER = "pickup_reminder"
    PICKUP_EXPIRED = "pickup_expired"
    ORDER_SHIPPED = "order_shipped"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_REFUNDED = "order_refunded"
    ITEMS_CANCELLED = "order_items_cancelled"
    GIFT_CARDS_ISSUED = "gift_cards_issued"


# What staff read in the notifications admin.
NOTICE_LABELS = {
    Notice.ORDER_PLACED: _("Order placed"),
    Notice.PAYMENT_FAILED: _("Payment failed"),
    Notice.PICKUP_READY: _("Ready for pickup"),
    Notice.PICKUP_REMINDER: _("Pickup reminder"),
    Notice.PICKUP_EXPIRED: _("Pickup expired"),
    Notice.ORDER_SHIPPED: _("Order shipped"),
    Notice.ORDER_CANCELLED: _("Order cancelled"),
    Notice.ORDER_REFUNDED: _("Order refunded"),
    Notice.ITEMS_CANCELLED: _("Items cancelled"),
    Notice.GIFT_CARDS_ISSUED: _("Gift cards bought"),
}

PICKUP_CODE = "pickup_code"
# The codes of the gift cards an order bought, read at send time like the pickup code.
GIFT_CARD_CODES = "gift_card_codes"
# The notices that show the pickup code (and its QR image).
_WITH_CODE = {Notice.PICKUP_READY, Notice.PICKUP_REMINDER}


def _gift_card_codes(order_number: str) -> str | None:
    """The codes of the active gift cards the order bought, one per line; None when there are none."""
    from loyalty.selectors.wallets import gift_card_codes_sold

    return "\n".join(gift_card_codes_sold(reference=order_number)) or None


def _pickup_code(order_number: str) -> str | None:
    """The order's pickup code while the goods wait for it; None once collected or cancelled."""
    return (
        Order.objects.filter(number=order_number, status=Order.Status.READY_FOR_PICKUP)
        .exclude(pickup_code="")
        .values_list("pickup_code", flat=True)
        .first()
    )


def notices_register() -> None:
    """Called by ``OrdersConfig.ready()``."""
    with_code = {"secret": PICKUP_CODE, "qr": PICKUP_CODE}
    secrets = dict.fromkeys(_WITH_CODE, with_code) | {Notice.GIFT_CARDS_ISSUED: {"secret": GIFT_CARD_CODES}}
    template_register(
        *(
            NotificationTemplate(key=notice.value, label=NOTICE_LABELS[notice], **secrets.get(notice, {}))
            for notice in Notice
        )
    )
    secret_provider_register(PICKUP_CODE, _pickup_code)
    secret_provider_register(GIFT_CARD_CODES, _gift_card_codes)


def _store(location) -> dict:
    if location is None:
        return {}
    return {
        "name": location.name,
        "street": location.street,
        "postal_code": location.postal_code,
        "city": location.city,
        "phone": location.phone,
    }


def order_context(order: Order, **extra) -> dict:
    """What every order notice shows (JSON: amounts as strings, times in ISO 8601)."""
    expires = order.pickup_expires_at
    return {
        "number": order.number,
        "fulfilment_type": order.fulfilment_type,
        "payment_method": order.payment_method,
        "pay_in_store": order.payment_method == "pay_in_store",
        "currency": order.currency,
        "subtotal": str(order.subtotal),
        "discount_total": str(order.discount_total),
        "shipping_total": str(order.shipping_total),
        "total": str(order.total),
        "pickup_expires_at": expires.isoformat() if expires else "",
        "store": _store(order.pickup_location) if order.pickup_location_id else {},
        "shipping_address": {k: order.shipping_address.get(k, "") for k in ("street", "postal_code", "city")}
        if order.shipping_address
        else {},
        **extra,
    }


def _lines(lines) -> list[dict]:
    return [{"name": ln.name, "sku": ln.sku, "quantity": ln.quantity, "line_total": str(ln.line_total)} for ln in lines]


def order_notify(order: Order, notice: Notice, **context) -> None:
    """Tell the order's customer (or guest) ``notice`` about ``order``."""
    customer = order.customer if order.customer_id else None
    notification_send(
        template=notice.value,
        language=customer.language if customer is not None else order.language,
        customer=customer,
        order_reference=order.number,
        email=order.email,
        phone=order.phone,
        preferred_channel=customer.notification_channel if customer is not None else "",
        context=order_context(order, **context),
    )


def order_placed_notify(order: Order, *, lines) -> None:
    order_notify(order, Notice.ORDER_PLACED, lines=_lines(lines))


def shipment_notify(order: Order, fulfilment: Fulfilment) -> None:
    """One parcel of ``order`` left: its carrier, tracking number and what it carries."""
    items = fulfilment.lines.select_related("order_line").order_by("id")
    order_notify(
        order,
        Notice.ORDER_SHIPPED,
        carrier=fulfilment.carrier,
        tracking_number=fulfilment.tracking_number,
        lines=[
            {"name": fl.order_line.name, "sku": fl.order_line.sku, "quantity": fl.quantity, "line_total": ""}
            for fl in items
        ],
    )


def items_cancelled_notify(order: Order, *, items: list[dict], amount, refund: str) -> None:
    """Units short at picking that no location has were taken off the order: which ones, their
    value and what happens to it (``refund``: refunded, not_charged, marketplace)."""
    order_notify(
        order,
        Notice.ITEMS_CANCELLED,
        lines=[{k: i[k] for k in ("name", "sku", "quantity", "line_total")} for i in items],
        amount=str(amount),
        refund=refund,
    )
