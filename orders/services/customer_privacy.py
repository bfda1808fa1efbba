"""Orders' part of a person's data rights (``customers.services.privacy``): their orders and
carts in the export; on erasure the orders' contact and address fields are blanked (the orders,
their lines and amounts stay for accounting), and erasure waits while an order is open."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from omnishop.outbox.models import OutboxEvent
from omnishop.webhooks.models import WebhookDelivery

from ..models import Cart, CartLine, Order, OrderLine

OPEN_STATUSES = [s for s in Order.Status.values if s not in (Order.Status.COMPLETED, Order.Status.CANCELLED)]
# Outbox payload keys that named the person in earlier event versions (order.pickup_code_issued v1).
PERSONAL_PAYLOAD_KEYS = ("email", "phone", "contact_name", "pickup_code", "shipping_address", "billing_address")


def _money(value) -> str:
    return f"{value:.2f}"


def orders_export(customer) -> dict:
    """Every order of the customer with its lines and contact, and their carts."""
    orders = (
        Order.objects.filter(customer=customer)
        .select_related("channel", "pickup_location")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
        .order_by("created_at", "id")
    )
    carts = (
        Cart.objects.filter(customer=customer)
        .select_related("channel")
        .prefetch_related(Prefetch("lines", queryset=CartLine.objects.select_related("variant").order_by("id")))
        .order_by("created_at", "id")
    )
    return {
        "orders": [
            {
                "number": order.number,
                "placed_at": order.created_at.isoformat(),
                "channel": order.channel.code,
                "status": order.status,
                "fulfilment_type": order.fulfilment_type,
                "pickup_store": order.pickup_location.code if order.pickup_location_id else None,
                "email": order.email,
                "phone": order.phone,
                "contact_name": order.contact_name,
                "shipping_address": order.shipping_address,
                "billing_address": order.billing_address,
                "payment_method": order.payment_method,
                "payment_status": order.payment_status,
                "currency": order.currency,
                "total": _money(order.total),
                "lines": [
                    {
                        "sku": line.sku,
                        "name": line.name,
                        "quantity": line.quantity,
                        "unit_price": _money(line.unit_price),
                        "line_total": _money(line.line_total),
                    }
                    for line in order.lines.all()
                ],
            }
            for order in orders
        ],
        "carts": [
            {
                "channel": cart.channel.code,
                "status": cart.status,
                "updated_at": cart.updated_at.isoformat(),
                "lines": [{"sku": line.variant.sku, "quantity": line.quantity} for line in cart.lines.all()],
            }
            for cart in carts
        ],
    }


def orders_block_erasure(customer) -> str | None:
    open_numbers = list(
        Order.objects.filter(customer=customer, status__in=OPEN_STATUSES)
        .order_by("id")
        .values_list("number", flat=True)[:5]
    )
    if not open_numbers:
        return None
    return _("Orders still open: %(numbers)s. Erase the data once they are completed or cancelled.") % {
        "numbers": ", ".join(open_numbers)
    }


def orders_erase(*, customer, actor=None) -> int:
    """Blank the contact and addresses of the customer's orders and drop the personal keys from
    their outbox payloads; returns how many orders were anonymised."""
    numbers = list(Order.objects.filter(customer=customer).values_list("number", flat=True))
    erased = Order.objects.filter(customer=customer).update(
        email="", phone="", contact_name="", shipping_address={}, billing_address={}
    )
    for model in (OutboxEvent, WebhookDelivery):  # the events and the copies sent to subscribers
        _payloads_scrub(model.objects.filter(aggregate_type="order", aggregate_id__in=numbers))
    return erased


def _payloads_scrub(rows) -> None:
    scrubbed = []
    for row in rows.only("pk", "payload"):
        if isinstance(row.payload, dict) and any(key in row.payload for key in PERSONAL_PAYLOAD_KEYS):
            row.payload = {k: v for k, v in row.payload.items() if k not in PERSONAL_PAYLOAD_KEYS}
            scrubbed.append(row)
    rows.model.objects.bulk_update(scrubbed, ["payload"], batch_size=500)
