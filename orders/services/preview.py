"""An order request priced and routed as ``order_place`` would, writing nothing: what an agent
checks before confirming (the admin's place-order preview)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from loyalty.pricing import PricedCart, cart_price
from omnishop.exceptions import DomainError
from omnishop.vocabulary import FulfilmentType

from ..exceptions import EmptyOrder
from ..requests import Contact, OrderRequest, order_request_errors, order_request_invalid
from ..routing import RoutingDecision, routing_policy
from .placement import contact_complete, delivery_point, errors_by_sku, route_decide


@dataclass(frozen=True)
class OrderPreview:
    """What an order request would become, read without writing anything: its priced lines and
    totals, the routing decision ``order_place`` would start from (sources, transfers to the
    pickup store, its reason) and, for a pickup, the first day it can be collected."""

    request: OrderRequest
    priced: PricedCart
    decision: RoutingDecision
    contact: Contact
    pickup_from: date | None


def pickup_ready_date(*, transfers: bool, today: date | None = None) -> date:
    """The first day a pickup order can be collected: from the store's own stock the next
    day, with a transfer OMNISHOP_TRANSFER_DAYS later (Sundays are not working days)."""
    day = today or timezone.localdate()
    days = 1 + (settings.OMNISHOP_TRANSFER_DAYS if transfers else 0)
    while days:
        day += timedelta(days=1)
        if day.weekday() != 6:
            days -= 1
    return day


def order_request_preview(*, request: OrderRequest) -> OrderPreview:
    """Price and route ``request`` as ``order_place`` would, writing nothing (no order, no
    allocation, no transfer, no event): what an agent checks before confirming. Raises
    ``InvalidOrder`` for a request that breaks its rules, ``NotSellable`` and
    ``InsufficientStock`` (errors keyed by SKU) as placing it would."""
    if errors := order_request_errors(request):
        raise order_request_invalid(errors)
    lines = {int(v): int(q) for v, q in request.lines.items()}
    if not lines:
        raise EmptyOrder()
    delivery = request.fulfilment_type == FulfilmentType.DELIVERY
    try:
        priced = cart_price(
            lines=lines,
            channel=request.channel,
            customer=request.customer,
            fulfilment_type=request.fulfilment_type,
            coupon_code=request.coupon_code,
            points=request.points,
            gift_card_code=request.gift_card_code,
            store_credit=request.store_credit,
        )
        decision = route_decide(
            routing_policy(),
            lines=lines,
            fulfilment_type=request.fulfilment_type,
            online=request.channel.sells_online,
            pickup_location=request.pickup_location,
            point=delivery_point(request.shipping_address or {}) if delivery else (None, None, ""),
            cart=request.cart,
        )
    except DomainError as exc:
        errors_by_sku(exc)
        raise
    return OrderPreview(
        request=request,
        priced=priced,
        decision=decision,
        contact=contact_complete(request.contact, customer=request.customer, company=request.company),
        pickup_from=None if delivery else pickup_ready_date(transfers=bool(decision.transfers)),
    )
