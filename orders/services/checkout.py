"""Placing an order from any channel: the request's rules, pricing, routing, allocation and the
order's rows in one short transaction; payment authorisation is queued after commit."""

import hashlib
import json
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from catalog.models import Channel
from inventory.exceptions import InsufficientStock
from inventory.lock_objects import locations_lock
from inventory.models import Location
from inventory.selectors import locations_by_id
from inventory.services import StockLine, stock_allocate, transfer_request
from loyalty.pricing import cart_price
from omnishop.exceptions import DomainError
from omnishop.outbox.services import outbox_batch
from omnishop.vocabulary import FulfilmentType, PaymentMethod

from ..events import OrderEventType, order_placed_message, order_status_message
from ..exceptions import (
    CartChanged,
    CartNotActive,
    EmptyOrder,
    IdempotencyConflict,
    MarketplaceOrderConflict,
)
from ..models import Cart, CartLine, Fulfilment, FulfilmentLine, Order, OrderFee, OrderLine
from ..notices import order_placed_notify
from ..requests import (
    Contact,
    MarketplaceSale,
    OrderRequest,
    order_language,
    order_request_errors,
    order_request_invalid,
)
from ..routing import capacity_note, routing_policy
from ..selectors import order_details_attach, store_loads_today
from .placement import contact_complete, delivery_point, errors_by_sku, route_decide
from .rewards import order_gift_cards_issue, order_rewards_fields, order_rewards_take
from .transitions import actor_user, order_event_build, order_event_record, order_number_new

ROUTING_ATTEMPTS = 3


def request_fingerprint(data: dict, *, caller: str = "") -> str:
    """A stable hash of an order request and of who sent it (``caller``: the signed-in user or
    the channel API key), to tell a retry from a different request or another caller's."""
    payload = {"caller": caller, "request": data}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _existing_order(channel: Channel, key: str, fingerprint: str) -> Order | None:
    if not key:
        return None
    order = Order.objects.filter(channel=channel, idempotency_key=key).first()
    if order is None:
        return None
    if order.request_fingerprint != fingerprint:
        # Another body or another caller: the order is not theirs, so its number is not named.
        raise IdempotencyConflict(_("Idempotency-Key %(key)s was already used for a different request.") % {"key": key})
    order.replayed = True
    return order


def _existing_import(channel: Channel, sale: MarketplaceSale | None, fingerprint: str) -> Order | None:
    """The order a marketplace imported before under the same order id, if any: the same
    content (``fingerprint``) gets it back, other content is a ``MarketplaceOrderConflict``."""
    if sale is None:
        return None
    order = Order.objects.filter(channel=channel, external_id=sale.order_id).first()
    if order is None:
        return None
    if order.request_fingerprint != fingerprint:
        message = _(
            "Marketplace order %(id)s was already imported (order %(number)s) with other content; nothing was changed."
        ) % {"id": sale.order_id, "number": order.number}
        raise MarketplaceOrderConflict(message, errors={"marketplace_order_id": [message]})
    order.replayed = True
    return order


def order_place(
    *,
    channel: Channel,
    lines: dict[int, int],
    fulfilment_type: str,
    customer=None,
    company=None,
    contact: Contact | None = None,
    pickup_location: Location | None = None,
    shipping_address: dict | None = None,
    payment_method: str = PaymentMethod.CARD,
    language: str = "",
    idempotency_key: str = "",
    fingerprint: str = "",
    cart: Cart | None = None,
    marketplace: MarketplaceSale | None = None,
    coupon_code: str = "",
    points: int = 0,
    gift_card_code: str = "",
    store_credit: Decimal | None = None,
    actor=None,
) -> Order:
    """Place an order from any channel in one short transaction: price, route, allocate (rows
    locked in (variant, location) order), then the order, its lines, fulfilments, events and
    outbox rows. Payment authorisation and notifications run after commit.

    Idempotent per (channel, ``idempotency_key``): a retry with the same ``fingerprint`` returns
    the first order (with ``replayed`` set), even with no lines (a cart checkout whose cart the
    first attempt ordered; no lines and no first order raise ``EmptyOrder``); the same key with
    a different ``fingerprint`` raises ``IdempotencyConflict``. Callers put who is asking into the
    fingerprint (``request_fingerprint`` with ``caller``): a key belongs to the channel (its unique
    constraint), taken by its first caller; another caller of the channel gets the conflict, never
    that caller's order.
    A new order comes back with the lists the API renders attached (``order_details_attach``).
    Raises ``InsufficientStock`` (nothing written) when the units are not there, after re-routing
    when a concurrent order took the first choice; ``NotSellable`` for unsellable lines; both
    name the lines by SKU in ``errors`` ("sku", or "sku@location_code" for a location's stock);
    ``InvalidOrder`` with field errors for a request that breaks a rule of its own (a line of
    less than one unit, pay in store for a delivery, a guest order with neither a contact e-mail
    nor a phone, a delivery without a street, postal code and city or with a pickup store, a
    company order for a customer who is not its member); for a ``cart`` checkout,
    ``CartNotActive`` when the cart was already ordered or merged and ``CartChanged`` when its
    lines are no longer ``lines`` (the cart row is locked, so no line set meanwhile is lost).

    ``marketplace``: a marketplace channel's import of an order it sold (``MarketplaceSale``): its
    lines at the marketplace's unit prices and shipping, its fees kept on the order, paid. One
    order per (channel, marketplace order id), held by a unique constraint: the same id with the
    same ``fingerprint`` returns the first order (``replayed``), even when two arrive at once;
    with another fingerprint it raises ``MarketplaceOrderConflict``.
    """
    request = OrderRequest(
        channel=channel,
        lines=lines,
        fulfilment_type=fulfilment_type,
        payment_method=payment_method,
        customer=customer,
        company=company,
        contact=contact,
        pickup_location=pickup_location,
        shipping_address=shipping_address or {},
        cart=cart,
        marketplace=marketplace,
        language=language,
        coupon_code=coupon_code,
        points=points,
        gift_card_code=gift_card_code,
        store_credit=store_credit,
    )
    if errors := order_request_errors(request):
        raise order_request_invalid(errors)
    lines = {int(v): int(q) for v, q in lines.items()}
    try:
        if not lines:
            # Inside the try: a retry of a cart checkout finds its cart ordered, so no lines,
            # and gets the first order back like any other retry.
            raise EmptyOrder()
        return _order_place_new(
            channel=channel,
            lines=lines,
            fulfilment_type=fulfilment_type,
            customer=customer,
            company=company,
            contact=contact,
            pickup_location=pickup_location,
            shipping_address=shipping_address,
            payment_method=payment_method,
            language=language,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            cart=cart,
            marketplace=marketplace,
            rewards={
                "coupon_code": coupon_code,
                "points": points,
                "gift_card_code": gift_card_code,
                "store_credit": store_credit,
            },
            actor=actor,
        )
    except (DomainError, IntegrityError) as exc:
        # The key is looked up only when placing failed: a retry whose order exists fails on the
        # key's unique constraint (or earlier, once its stock is sold), and gets that order back.
        # A new order, the common case, costs no lookup. A marketplace's order id the same way.
        existing = _existing_import(channel, marketplace, fingerprint) or _existing_order(
            channel, idempotency_key, fingerprint
        )
        if existing is None:
            errors_by_sku(exc)
            raise
        return existing


def _order_place_new(
    *,
    channel,
    lines,
    fulfilment_type,
    customer,
    company,
    contact,
    pickup_location,
    shipping_address,
    payment_method,
    language,
    idempotency_key,
    fingerprint,
    cart,
    marketplace,
    rewards,
    actor,
) -> Order:
    contact = contact_complete(contact, customer=customer, company=company)
    address = shipping_address or {}
    delivery = fulfilment_type == FulfilmentType.DELIVERY
    latitude, longitude, located_by = delivery_point(address) if delivery else (None, None, "")
    priced = cart_price(
        lines=lines,
        channel=channel,
        customer=customer,
        fulfilment_type=fulfilment_type,
        sold_at=marketplace.unit_prices if marketplace else None,
        shipping=marketplace.shipping if marketplace else None,
        **rewards,
    )
    online = channel.sells_online
    policy = routing_policy()

    for attempt in range(1, ROUTING_ATTEMPTS + 1):
        decision = route_decide(
            policy,
            lines=lines,
            fulfilment_type=fulfilment_type,
            online=online,
            pickup_location=pickup_location,
            point=(latitude, longitude, located_by),
            cart=cart,
        )
        try:
            with transaction.atomic(durable=True), outbox_batch():
                if cart is not None:
                    _cart_checkout_lock(cart, lines=lines)
                order = _order_create(
                    channel=channel,
                    priced=priced,
                    decision=decision,
                    fulfilment_type=fulfilment_type,
                    customer=customer,
                    company=company,
                    contact=contact,
                    pickup_location=pickup_location,
                    address=address,
                    payment_method=payment_method,
                    language=language,
                    idempotency_key=idempotency_key,
                    fingerprint=fingerprint,
                    cart=cart,
                    marketplace=marketplace,
                    actor=actor,
                    online=online,
                )
                transaction.on_commit(partial(_after_place, order.pk))
            return order
        except InsufficientStock:
            if attempt == ROUTING_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _cart_checkout_lock(cart: Cart, *, lines: dict[int, int]) -> None:
    """Lock the cart being checked out (before any stock row, as ``cart_line_set`` does) and
    make sure it still holds the lines being ordered: a line set meanwhile would be lost with
    the cart, an order of a cart already ordered or merged would be a second one."""
    status = Cart.objects.select_for_update().filter(pk=cart.pk).values_list("status", flat=True).first()
    if status != Cart.Status.ACTIVE:
        raise CartNotActive(
            _("The cart was already checked out or merged into another cart."),
            errors={"from_cart": [_("The cart was already checked out or merged into another cart.")]},
        )
    if dict(CartLine.objects.filter(cart=cart).values_list("variant_id", "quantity")) != lines:
        raise CartChanged(
            _("The cart changed while it was being checked out: check it and order again."),
            errors={"from_cart": [_("The cart changed while it was being checked out: check it and order again.")]},
        )


def _order_create(
    *,
    channel,
    priced,
    decision,
    fulfilment_type,
    customer,
    company,
    contact,
    pickup_location,
    address,
    payment_method,
    language,
    idempotency_key,
    fingerprint,
    cart,
    marketplace,
    actor,
    online,
) -> Order:
    prefix, number = order_number_new()
    order = Order.objects.create(
        number=number,
        channel=channel,
        customer=customer,
        company=company,
        placed_by=actor_user(actor),
        email=contact.email,
        phone=contact.phone,
        contact_name=contact.name,
        fulfilment_type=fulfilment_type,
        pickup_location=pickup_location,
        shipping_address=address,
        payment_method=payment_method,
        language=order_language(language),
        payment_status=_payment_status(payment_method, priced),
        currency=priced.currency,
        subtotal=priced.subtotal,
        discount_total=priced.discount_total,
        shipping_total=priced.shipping_total,
        total=priced.total,
        **order_rewards_fields(priced=priced, customer=customer),
        routing=decision.reason,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        external_id=marketplace.order_id if marketplace else "",
    )
    order.number = f"{prefix}{order.pk:07d}"

    # Everything that needs no stock row is written first: the rows are locked (by
    # stock_allocate) as late as possible, so concurrent orders for the same SKUs wait less.
    order_lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                variant_id=p.variant_id,
                sku=p.sku,
                name=p.name,
                quantity=p.quantity,
                unit_price=p.unit_price,
                discount=p.discount,
                line_total=p.line_total,
            )
            for p in priced.lines
        ]
    )
    if marketplace is not None and marketplace.fees:
        OrderFee.objects.bulk_create(
            [
                OrderFee(order=order, kind=f.kind, amount=f.amount, currency=marketplace.currency)
                for f in marketplace.fees
            ]
        )
    source_ids = sorted({r.location_id for r in decision.lines})
    locations = dict(decision.locations)
    unknown = (set(source_ids) | set(decision.transfers)) - locations.keys()
    if unknown:
        locations.update(locations_by_id(ids=unknown))
    transfers = {
        source_id: transfer_request(
            source=locations[source_id],
            destination=pickup_location,
            lines=wanted,
            actor=actor_user(actor),
            reference=f"order:{order.number}",
        )
        for source_id, wanted in sorted(decision.transfers.items())
    }
    events = [
        order_event_build(
            order, type=OrderEventType.PLACED, actor=actor, to_status=order.status, payload={"routing": decision.reason}
        )
    ]
    status_messages = []
    if transfers:
        order.status = Order.Status.AWAITING_TRANSFER
        Order.objects.filter(pk=order.pk).update(status=order.status)
        events.append(
            order_event_build(
                order,
                type=OrderEventType.STATUS_CHANGED,
                from_status=Order.Status.PLACED,
                to_status=order.status,
                note=_("Waiting for a transfer to the pickup store."),
            )
        )
        status_messages.append(
            order_status_message(order=order, from_status=Order.Status.PLACED, to_status=order.status)
        )
    if cart is not None:
        Cart.objects.filter(pk=cart.pk).update(status=Cart.Status.ORDERED)
    events = order_event_record(
        events=events,
        messages=[order_placed_message(order=order, channel_code=channel.code, lines=priced.lines), *status_messages],
    )

    allocations = stock_allocate(
        lines=[StockLine(r.variant_id, r.location_id, r.quantity) for r in decision.lines],
        reference=f"order:{order.number}",
        online=online,
        release_holds=cart.hold_reference if cart is not None else "",
        savepoint=False,  # a shortage ends this transaction: order_place re-routes in a new one
    )
    fulfilments, fulfilment_lines = _fulfilments_record(
        order, locations=[locations[pk] for pk in source_ids], transfers=transfers, allocations=allocations,
        lines=order_lines,
    )  # fmt: skip
    if fulfilment_type == FulfilmentType.DELIVERY:
        _store_capacity_check(order, [locations[pk] for pk in source_ids])
    order_rewards_take(order=order, priced=priced, actor=actor_user(actor))  # loyalty's rows: after the stock rows
    if order.payment_status == Order.PaymentStatus.PAID and any(p.is_gift_card for p in priced.lines):
        order_gift_cards_issue(order=order, actor=actor_user(actor))  # paid already: the cards work now
    order_details_attach(
        order, lines=order_lines, fulfilments=fulfilments, fulfilment_lines=fulfilment_lines, events=events
    )
    order_placed_notify(order, lines=order_lines)  # one insert; sent after commit
    return order


def _fulfilments_record(
    order: Order, *, locations: list[Location], transfers: dict, allocations: list, lines: list[OrderLine]
) -> tuple[list[Fulfilment], list[FulfilmentLine]]:
    """The order's fulfilments (one per source location, waiting for its transfer where one
    brings the goods to the pickup store) and their lines (one per allocation), in one statement
    after the stock was allocated; returned saved, their related rows attached."""
    line_by_variant = {ln.variant_id: ln for ln in lines}
    statuses = [
        Fulfilment.Status.AWAITING_TRANSFER if loc.pk in transfers else Fulfilment.Status.PENDING for loc in locations
    ]
    transfer_ids = [transfers[loc.pk].pk if loc.pk in transfers else None for loc in locations]
    fulfilment, line = Fulfilment._meta.db_table, FulfilmentLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'WITH f AS (INSERT INTO "{fulfilment}" ("order_id", "location_id", "status", "transfer_id",'  # noqa: S608
            ' "carrier", "tracking_number")'
            " SELECT %s, x.l, x.s, x.t, '', ''"
            " FROM ROWS FROM (unnest(%s::bigint[], %s::varchar[], %s::bigint[])) WITH ORDINALITY AS x(l, s, t, n)"
            ' ORDER BY x.n RETURNING "id", "location_id"), '
            f'fl AS (INSERT INTO "{line}" ("fulfilment_id", "order_line_id", "allocation_id", "quantity",'
            ' "picked_quantity", "short_quantity", "cancelled_quantity")'
            " SELECT f.id, y.o, y.a, y.q, 0, 0, 0"
            " FROM ROWS FROM (unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::integer[])) WITH ORDINALITY"
            ' AS y(l, o, a, q, n) JOIN f ON f.location_id = y.l ORDER BY y.n RETURNING "id", "allocation_id") '
            "SELECT 'f', id, location_id FROM f UNION ALL SELECT 'l', id, allocation_id FROM fl",
            [
                order.pk,
                [loc.pk for loc in locations],
                statuses,
                transfer_ids,
                [a.location_id for a in allocations],
                [line_by_variant[a.variant_id].pk for a in allocations],
                [a.pk for a in allocations],
                [a.quantity for a in allocations],
            ],
        )
        rows = cursor.fetchall()
    ids = {(kind, key): pk for kind, pk, key in rows}
    fulfilments = []
    for loc, status, transfer_id in zip(locations, statuses, transfer_ids, strict=True):
        f = Fulfilment.from_db(
            connection.alias,
            ("id", "order_id", "location_id", "status", "transfer_id", "carrier", "tracking_number", "shipped_at"),
            (ids[("f", loc.pk)], order.pk, loc.pk, status, transfer_id, "", "", None),
        )
        f.order, f.location, f.transfer = order, loc, transfers.get(loc.pk)
        fulfilments.append(f)
    at = {f.location_id: f for f in fulfilments}
    fulfilment_lines = []
    for a in allocations:
        order_line = line_by_variant[a.variant_id]
        fl = FulfilmentLine.from_db(
            connection.alias,
            ("id", "fulfilment_id", "order_line_id", "allocation_id", "quantity", "picked_quantity",
             "short_quantity", "cancelled_quantity"),
            (ids[("l", a.pk)], at[a.location_id].pk, order_line.pk, a.pk, a.quantity, 0, 0, 0),
        )  # fmt: skip
        fl.fulfilment, fl.order_line, fl.allocation = at[a.location_id], order_line, a
        fulfilment_lines.append(fl)
    return fulfilments, fulfilment_lines


def _store_capacity_check(order: Order, sources: list[Location]) -> None:
    """A delivery's parcels from stores with a daily pick capacity: their rows are locked (after
    the stock rows, in id order) and today's orders counted again with this one, so placements at
    once never take a store past its capacity. Full: ``InsufficientStock``, and ``order_place``
    routes again, without the store (routing sees it full now)."""
    limited = [
        loc
        for loc in sources
        if loc.kind == Location.Kind.STORE and loc.ship_from_store and loc.daily_pick_capacity is not None
    ]
    if not limited:
        return
    locked = locations_lock(ids=[loc.pk for loc in limited])
    loads = store_loads_today(location_ids=[loc.pk for loc in locked])
    # This order is counted already (its fulfilments are written): over the capacity is past it.
    full = [
        loc for loc in locked if loc.daily_pick_capacity is not None and loads.get(loc.pk, 0) > loc.daily_pick_capacity
    ]
    if full:
        message = capacity_note(sorted(loc.code for loc in full))
        raise InsufficientStock(message, errors={f"store:{loc.code}": [message] for loc in full})


def _payment_status(payment_method: str, priced) -> str:
    if payment_method == PaymentMethod.PAY_IN_STORE:
        return Order.PaymentStatus.PAY_IN_STORE
    if payment_method == PaymentMethod.MARKETPLACE:
        return Order.PaymentStatus.PAID  # the buyer paid the marketplace before it sent the order
    if priced.tenders and priced.amount_due == 0:
        return Order.PaymentStatus.PAID  # a gift card or store credit paid it all
    return Order.PaymentStatus.PENDING


def _after_place(order_id: int) -> None:
    from ..tasks import order_payment_authorize_task

    order_payment_authorize_task.delay(order_id)


def order_request_place(
    *, request: OrderRequest, idempotency_key: str = "", fingerprint: str = "", actor=None
) -> Order:
    """``order_place`` for a request built by ``orders.requests.order_request_build``."""
    return order_place(**request.fields(), idempotency_key=idempotency_key, fingerprint=fingerprint, actor=actor)
