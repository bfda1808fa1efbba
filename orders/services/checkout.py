"""Checkout from any channel, the order lifecycle and payment."""

import hashlib
import json
import uuid
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Channel, Variant
from inventory.exceptions import InsufficientStock
from inventory.models import Allocation, Location, Transfer
from inventory.services import (
    StockLine,
    stock_allocate,
    stock_fulfil,
    stock_release,
    transfer_cancel,
    transfer_receive,
    transfer_request,
    transfer_ship,
)
from loyalty.exceptions import NotSellable
from loyalty.pricing import cart_price
from omnishop.exceptions import DomainError
from omnishop.outbox.services import outbox_emit

from .. import lifecycle
from ..exceptions import (
    CartChanged,
    CartNotActive,
    EmptyOrder,
    IdempotencyConflict,
    InvalidOrder,
    InvalidTransition,
    RefundFailed,
    TransitionNotAllowed,
)
from ..models import Cart, CartLine, Fulfilment, FulfilmentLine, Order, OrderEvent, OrderLine
from ..payments import payment_provider
from ..routing import routing_policy
from ..selectors import order_details_attach

ROUTING_ATTEMPTS = 3
PAY_IN_STORE = "pay_in_store"
PICKUP_TYPES = frozenset({Order.FulfilmentType.CLICK_AND_COLLECT, Order.FulfilmentType.ROPIS})
ADDRESS_REQUIRED = ("street", "postal_code", "city")  # what a courier needs of a shipping address


@dataclass(frozen=True)
class Contact:
    email: str = ""
    phone: str = ""
    name: str = ""


def request_fingerprint(data: dict, *, caller: str = "") -> str:
    """A stable hash of an order request and of who sent it (``caller``: the signed-in user or
    the channel API key), to tell a retry from a different request or another caller's."""
    payload = {"caller": caller, "request": data}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _delivery_point(address: dict) -> tuple[float | None, float | None, str]:
    """Where a delivery goes, for routing: the address's coordinates, else those of one of our
    locations in the address's city (a call-centre agent types an address, not coordinates),
    else none. Returns (latitude, longitude, "address" | "city" | "")."""
    if address.get("latitude") is not None and address.get("longitude") is not None:
        return address["latitude"], address["longitude"], "address"
    city = str(address.get("city") or "").strip()
    if city:
        point = (
            Location.objects.filter(city__iexact=city, latitude__isnull=False, longitude__isnull=False)
            .order_by("pk")
            .values_list("latitude", "longitude")
            .first()
        )
        if point is not None:
            return float(point[0]), float(point[1]), "city"
    return None, None, ""


def _contact_complete(contact: Contact | None, *, customer, company) -> Contact:
    """The order's contact: each field the request left blank comes from the customer, then from
    the company (a sales rep's order may have no customer), so the order's notices (the pickup
    code, shipping) reach someone however it was placed."""
    known = [contact or Contact()]
    if customer is not None:
        known.append(Contact(email=customer.email, phone=customer.phone, name=str(customer)))
    if company is not None:
        known.append(Contact(email=company.email, phone=company.phone, name=company.name))

    def first(field: str) -> str:
        return next((value for c in known if (value := getattr(c, field)).strip()), "")

    return Contact(email=first("email"), phone=first("phone"), name=first("name"))


def _user(actor):
    """The login to record for an actor (None for anonymous requests and the system)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def _event(order: Order, *, type: str, actor=None, from_status="", to_status="", note="", payload=None) -> OrderEvent:
    return OrderEvent(
        order=order,
        type=type,
        from_status=from_status,
        to_status=to_status,
        actor=_user(actor),
        channel=order.channel,
        note=note,
        payload=payload or {},
    )


def _payment_recorded(order: Order, *, type: str, payload: dict, note: str = "", actor=None) -> None:
    """A payment fact on the order's timeline and in the outbox (``order.<type>``), in the caller's
    transaction: one payload for both, amounts as strings."""
    _event(order, type=type, actor=actor, note=note[:300], payload=payload).save()
    outbox_emit(
        type=f"order.{type}",
        aggregate_type="order",
        aggregate_id=order.number,
        payload={"number": order.number, **payload},
    )


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


def payment_method_errors(*, fulfilment_type: str, payment_method: str) -> list[str]:
    """Why ``payment_method`` does not fit the order (empty when it does): paying in the store
    needs the customer to come to one, so it is for pickups only (delivery would ship unpaid)."""
    if payment_method == PAY_IN_STORE and fulfilment_type not in PICKUP_TYPES:
        return [_("Pay in store is only for orders collected in a store.")]
    return []


def _request_errors(
    *,
    lines: dict[int, int],
    fulfilment_type: str,
    payment_method: str,
    customer,
    company,
    contact: Contact | None,
    shipping_address: dict | None,
    pickup_location: Location | None,
) -> dict[str, list[str]]:
    """The rules an order request keeps whoever sends it (API, admin, import), by field."""
    errors: dict[str, list[str]] = {}
    if any(int(quantity) < 1 for quantity in lines.values()):
        errors["lines"] = [_("Every line needs at least one unit.")]
    if payment := payment_method_errors(fulfilment_type=fulfilment_type, payment_method=payment_method):
        errors["payment_method"] = payment
    # Nobody to tell about a guest's order (ready for pickup, shipped, cancelled) without these.
    reachable = contact is not None and (contact.email.strip() or contact.phone.strip())
    if customer is None and company is None and not reachable:
        errors["contact"] = [_("An order without a customer or a company needs a contact e-mail or phone.")]
    if customer is not None and company is not None and not company.members.filter(pk=customer.pk).exists():
        # The customer would see the company's order, and the company's users this one.
        errors["customer"] = [_("The customer is not a member of the company.")]
    if fulfilment_type == Order.FulfilmentType.DELIVERY and not all(
        str((shipping_address or {}).get(part) or "").strip() for part in ADDRESS_REQUIRED
    ):
        errors["shipping_address"] = [_("Home delivery needs a street, a postal code and a city.")]
    if fulfilment_type == Order.FulfilmentType.DELIVERY and pickup_location is not None:
        # Else the store's staff would find a parcel order in their pickup queue.
        errors["pickup_store"] = [_("A home delivery has no pickup store.")]
    return errors


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
    payment_method: str = "card",
    idempotency_key: str = "",
    fingerprint: str = "",
    cart: Cart | None = None,
    actor=None,
) -> Order:
    """Place an order from any channel in one short transaction: price, route, allocate (rows
    locked in (variant, location) order), then the order, its lines, fulfilments, events and
    outbox rows. Payment authorisation and notifications run after commit.

    Idempotent per (channel, ``idempotency_key``): a retry with the same ``fingerprint`` returns
    the first order (with ``replayed`` set), even with no lines (a cart checkout whose cart the
    first attempt ordered; no lines and no first order raise ``EmptyOrder``); the same key with
    a different ``fingerprint`` raises ``IdempotencyConflict``. Callers put who is asking into the
    fingerprint (``request_fingerprint`` with ``caller``), so a key is scoped to its caller and
    another caller's order is never returned.
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
    """
    errors = _request_errors(
        lines=lines,
        fulfilment_type=fulfilment_type,
        payment_method=payment_method,
        customer=customer,
        company=company,
        contact=contact,
        shipping_address=shipping_address,
        pickup_location=pickup_location,
    )
    if errors:
        raise InvalidOrder(" ".join(m for messages in errors.values() for m in messages), errors=errors)
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
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            cart=cart,
            actor=actor,
        )
    except (DomainError, IntegrityError) as exc:
        # The key is looked up only when placing failed: a retry whose order exists fails on the
        # key's unique constraint (or earlier, once its stock is sold), and gets that order back.
        # A new order, the common case, costs no lookup.
        existing = _existing_order(channel, idempotency_key, fingerprint)
        if existing is None:
            _errors_by_sku(exc)
            raise
        return existing


def _errors_by_sku(exc: Exception) -> None:
    """Re-key a shortage's or an unsellable line's errors from the ids routing, pricing and
    allocation name ("variant_id", "variant_id@location_id") to what callers know: the SKU, and
    "sku@location_code" where a location is named. Keys of another shape are left as they are."""
    if not isinstance(exc, InsufficientStock | NotSellable) or not exc.errors:
        return
    parsed: dict[str, tuple[int, int | None]] = {}
    for key in exc.errors:
        variant, at, location = str(key).partition("@")
        if not variant.isdigit() or (at and not location.isdigit()):
            continue
        parsed[key] = (int(variant), int(location) if at else None)
    if not parsed:
        return
    skus = dict(Variant.objects.filter(pk__in={v for v, _loc in parsed.values()}).values_list("pk", "sku"))
    location_ids = {loc for _v, loc in parsed.values() if loc is not None}
    codes = dict(Location.objects.filter(pk__in=location_ids).values_list("pk", "code")) if location_ids else {}

    def sku_key(key: str) -> str:
        if key not in parsed:
            return key
        variant, location = parsed[key]
        sku = skus.get(variant, str(variant))
        return sku if location is None else f"{sku}@{codes.get(location, location)}"

    exc.errors = {sku_key(key): messages for key, messages in exc.errors.items()}


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
    idempotency_key,
    fingerprint,
    cart,
    actor,
) -> Order:
    if fulfilment_type != Order.FulfilmentType.DELIVERY and pickup_location is None:
        raise InvalidTransition(_("Click & collect and reserve & try need a pickup store."))
    if pickup_location is not None and not (pickup_location.is_active and pickup_location.click_and_collect):
        raise InvalidTransition(_("%(store)s does not offer pickup.") % {"store": pickup_location.name})
    contact = _contact_complete(contact, customer=customer, company=company)
    address = shipping_address or {}
    delivery = fulfilment_type == Order.FulfilmentType.DELIVERY
    latitude, longitude, located_by = _delivery_point(address) if delivery else (None, None, "")
    priced = cart_price(lines=lines, channel=channel, customer=customer, fulfilment_type=fulfilment_type)
    online = channel.sells_online
    policy = routing_policy()

    for attempt in range(1, ROUTING_ATTEMPTS + 1):
        decision = policy.route(
            lines=lines,
            fulfilment_type=fulfilment_type,
            online=online,
            pickup_location=pickup_location,
            latitude=latitude,
            longitude=longitude,
            exclude_hold_reference=cart.hold_reference if cart is not None else "",
        )
        if located_by:
            decision.reason["destination_from"] = located_by
        try:
            with transaction.atomic(durable=True):
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
                    idempotency_key=idempotency_key,
                    fingerprint=fingerprint,
                    cart=cart,
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
    idempotency_key,
    fingerprint,
    cart,
    actor,
    online,
) -> Order:
    order = Order.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:28]}",  # unique until the number from the id replaces it
        channel=channel,
        customer=customer,
        company=company,
        placed_by=_user(actor),
        email=contact.email,
        phone=contact.phone,
        contact_name=contact.name,
        fulfilment_type=fulfilment_type,
        pickup_location=pickup_location,
        shipping_address=address,
        payment_method=payment_method,
        payment_status=Order.PaymentStatus.PAY_IN_STORE
        if payment_method == PAY_IN_STORE
        else Order.PaymentStatus.PENDING,
        currency=priced.currency,
        subtotal=priced.subtotal,
        discount_total=priced.discount_total,
        shipping_total=priced.shipping_total,
        total=priced.total,
        routing=decision.reason,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
    )
    order.number = f"{settings.OMNISHOP_ORDER_NUMBER_PREFIX}-{timezone.localdate():%Y}-{order.pk:07d}"
    Order.objects.filter(pk=order.pk).update(number=order.number)

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
    source_ids = sorted({r.location_id for r in decision.lines})
    locations = dict(decision.locations)
    unknown = (set(source_ids) | set(decision.transfers)) - locations.keys()
    if unknown:
        locations.update(Location.objects.in_bulk(list(unknown)))
    transfers = {
        source_id: transfer_request(
            source=locations[source_id],
            destination=pickup_location,
            lines=wanted,
            actor=_user(actor),
            reference=f"order:{order.number}",
        )
        for source_id, wanted in sorted(decision.transfers.items())
    }
    fulfilments = Fulfilment.objects.bulk_create(
        [
            Fulfilment(
                order=order,
                location=locations[location_id],
                transfer=transfers.get(location_id),
                status=Fulfilment.Status.AWAITING_TRANSFER if location_id in transfers else Fulfilment.Status.PENDING,
            )
            for location_id in source_ids
        ]
    )
    events = [_event(order, type="placed", actor=actor, to_status=order.status, payload={"routing": decision.reason})]
    if transfers:
        order.status = Order.Status.AWAITING_TRANSFER
        Order.objects.filter(pk=order.pk).update(status=order.status)
        events.append(
            _event(
                order,
                type="status_changed",
                from_status=Order.Status.PLACED,
                to_status=order.status,
                note=_("Waiting for a transfer to the pickup store."),
            )
        )
    OrderEvent.objects.bulk_create(events)
    if cart is not None:
        Cart.objects.filter(pk=cart.pk).update(status=Cart.Status.ORDERED)
    outbox_emit(
        type="order.placed",
        aggregate_type="order",
        aggregate_id=order.number,
        payload={
            "number": order.number,
            "channel": channel.code,
            "customer_id": customer.pk if customer else None,
            "fulfilment_type": fulfilment_type,
            "currency": order.currency,
            "total": order.total,
            "lines": [{"sku": p.sku, "quantity": p.quantity, "unit_price": p.unit_price} for p in priced.lines],
        },
    )

    allocations = stock_allocate(
        lines=[StockLine(r.variant_id, r.location_id, r.quantity) for r in decision.lines],
        reference=f"order:{order.number}",
        online=online,
        release_holds=cart.hold_reference if cart is not None else "",
        savepoint=False,  # a shortage ends this transaction: order_place re-routes in a new one
    )
    line_by_variant = {ln.variant_id: ln for ln in order_lines}
    fulfilment_at = {f.location_id: f for f in fulfilments}
    FulfilmentLine.objects.bulk_create(
        [
            FulfilmentLine(
                fulfilment=fulfilment_at[a.location_id],
                order_line=line_by_variant[a.variant_id],
                allocation=a,
                quantity=a.quantity,
            )
            for a in allocations
        ]
    )
    order_details_attach(order, lines=order_lines, fulfilments=fulfilments, events=events)
    return order


def _after_place(order_id: int) -> None:
    from ..tasks import order_payment_authorize_task

    order_payment_authorize_task.delay(order_id)


def _system_may_cancel(order: Order) -> bool:
    return lifecycle.SYSTEM in lifecycle.TRANSITIONS.get(order.status, {}).get(Order.Status.CANCELLED, set())


def order_payment_authorize(*, order_id: int) -> Order:
    """Ask the payment provider (outside any lock), then record the outcome with the order row
    locked. Any order whose payment is pending and which is not cancelled is authorised, however
    far it moved on meanwhile (an agent may confirm it before this runs); an approved placed
    order is confirmed. A decline cancels the order when the state machine lets the system
    cancel it, else it is only recorded (a ``payment_failed`` event and outbox row with
    ``cancelled`` false) for staff to act on. An approval landing on an order cancelled while the
    provider was asked is recorded and refunded at once (``order_payment_refund`` after commit).
    Pay-in-store orders are confirmed without a payment."""
    order = Order.objects.select_related("channel").get(pk=order_id)
    if order.payment_status == Order.PaymentStatus.PAY_IN_STORE:
        if order.status == Order.Status.PLACED:
            return order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
        return order
    if order.payment_status != Order.PaymentStatus.PENDING or order.status == Order.Status.CANCELLED:
        return order
    result = payment_provider().authorize(
        order_number=order.number, amount=order.total, currency=order.currency, method=order.payment_method
    )
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=order_id)
        if order.payment_status != Order.PaymentStatus.PENDING:
            return order
        # Cancelled while the provider was asked: the outcome is still recorded, and money
        # taken goes back (below), so a cancelled order never keeps a payment.
        cancelled = order.status == Order.Status.CANCELLED
        order.payment_status = Order.PaymentStatus.PAID if result.ok else Order.PaymentStatus.FAILED
        order.payment_reference = result.reference
        order.save(update_fields=["payment_status", "payment_reference", "updated_at"])
        cancels = not result.ok and _system_may_cancel(order)
        note = result.message
        if not result.ok and not cancels and not cancelled:
            note = _("Payment declined; the order is %(status)s and was not cancelled: staff must act.") % {
                "status": order.get_status_display()
            }
        _payment_recorded(
            order,
            type="payment_authorized" if result.ok else "payment_failed",
            note=note,
            payload={"reference": result.reference}
            if result.ok
            else {
                "reference": result.reference,
                "message": result.message,
                "status": order.status,
                "cancelled": cancels or cancelled,
            },
        )
        # In the same transaction, so the status read above is still the order's.
        if payment_refund_due(order):
            transaction.on_commit(partial(_refund_later, order.pk))
        elif result.ok and order.status == Order.Status.PLACED:
            order = order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
        elif cancels:
            order = order_transition(order=order, to=Order.Status.CANCELLED, role=lifecycle.SYSTEM, note=result.message)
    return order


def payment_refund_due(order: Order) -> bool:
    """A cancelled order whose payment was taken: its money goes back. Paying in the store is
    never refunded here: nothing is taken before the hand-over, which completes the order."""
    return (
        order.status == Order.Status.CANCELLED
        and order.payment_status == Order.PaymentStatus.PAID
        and order.payment_method != PAY_IN_STORE
    )


def _refund_later(order_id: int) -> None:
    from ..tasks import order_payment_refund_task

    order_payment_refund_task.delay(order_id)


def order_payment_refund(*, order_id: int, actor=None) -> Order:
    """Give a cancelled order's payment back: the provider is asked outside any lock (with the
    order number as its idempotency key, so a retry never refunds twice), then, with the order
    row locked, the payment becomes refunded with the refund reference, an OrderEvent and an
    ``order.payment_refunded`` outbox row. Idempotent: an order with nothing to refund (see
    ``payment_refund_due``) is returned as it is. A refund the provider refuses leaves the
    payment paid, records a ``refund_failed`` event and ``order.refund_failed`` outbox row for
    staff, and raises ``RefundFailed`` (the task retries)."""
    order = Order.objects.get(pk=order_id)
    if not payment_refund_due(order):
        return order
    result = payment_provider().refund(
        reference=order.payment_reference, amount=order.total, currency=order.currency, idempotency_key=order.number
    )
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=order_id)
        if not payment_refund_due(order):
            return order
        money = {"payment_reference": order.payment_reference, "amount": str(order.total), "currency": order.currency}
        if result.ok:
            order.payment_status = Order.PaymentStatus.REFUNDED
            order.refund_reference = result.reference
            order.save(update_fields=["payment_status", "refund_reference", "updated_at"])
            _payment_recorded(
                order,
                type="payment_refunded",
                actor=actor,
                note=_("Payment refunded."),
                payload={"reference": result.reference, **money},
            )
            return order
        _payment_recorded(
            order,
            type="refund_failed",
            actor=actor,
            note=result.message or str(RefundFailed.title),
            payload={"message": result.message, **money},
        )
    raise RefundFailed(
        _("The refund of order %(number)s failed: %(message)s")
        % {"number": order.number, "message": result.message or RefundFailed.title}
    )


def order_paid_in_store(*, order: Order, actor=None) -> Order:
    """A pay-in-store order paid at the till when it is handed over: the payment becomes paid,
    with an OrderEvent and an ``order.paid_in_store`` outbox row. ``order`` must be locked by
    the caller (the hand-over); an order not paid in the store is left as it is."""
    if order.payment_status != Order.PaymentStatus.PAY_IN_STORE:
        return order
    store = order.pickup_location.code if order.pickup_location_id else ""
    order.payment_status = Order.PaymentStatus.PAID
    order.payment_reference = f"store:{store}"
    Order.objects.filter(pk=order.pk).update(
        payment_status=order.payment_status, payment_reference=order.payment_reference, updated_at=timezone.now()
    )
    _payment_recorded(
        order,
        type="paid_in_store",
        actor=actor,
        note=_("Paid in the store at the hand-over."),
        payload={"store": store, "amount": str(order.total), "currency": order.currency},
    )
    return order


def order_transition(*, order: Order, to: str, role: str, actor=None, note: str = "") -> Order:
    """Move an order to ``to`` if the state machine allows it for ``role``; cancelling
    releases its allocations, shipping or completing turns them into sales. Writes an
    OrderEvent and an outbox row. Raises ``InvalidTransition`` / ``TransitionNotAllowed``."""
    with transaction.atomic():
        # The order row only: a plain select_for_update() would lock the joined channel row too,
        # serialising every transition of a channel and deadlocking with stock locks.
        order = Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=order.pk)
        allowed = lifecycle.TRANSITIONS.get(order.status, {})
        if to not in allowed:
            raise InvalidTransition(
                _("Order %(number)s is %(status)s and cannot become %(to)s.")
                % {"number": order.number, "status": order.get_status_display(), "to": Order.Status(to).label}
            )
        if not lifecycle.fits_fulfilment(to, order.fulfilment_type):
            message = (
                _("Order %(number)s is collected in a store: it becomes ready for pickup, it is not shipped.")
                if order.fulfilment_type != Order.FulfilmentType.DELIVERY
                else _("Order %(number)s is delivered: it is shipped, it is not ready for pickup in a store.")
            )
            raise InvalidTransition(message % {"number": order.number})
        if role not in allowed[to]:
            raise TransitionNotAllowed(
                _("A %(role)s may not move order %(number)s to %(to)s.")
                % {"role": role, "number": order.number, "to": Order.Status(to).label}
            )
        if to == Order.Status.CANCELLED:
            _fulfilments_cancel(order, actor=actor)
        elif to in (Order.Status.SHIPPED, Order.Status.COMPLETED):
            open_allocations = _open_allocations(order)
            if open_allocations:
                stock_fulfil(allocations=open_allocations, actor=actor, reference=f"order:{order.number}")
                Fulfilment.objects.filter(order=order).update(status=Fulfilment.Status.DONE)
        previous = order.status
        order.status = to
        fields = ["status", "updated_at"]
        if order.pickup_code and to != Order.Status.READY_FOR_PICKUP:
            order.pickup_code, order.pickup_attempts = "", 0  # the code only works while the goods wait
            fields += ["pickup_code", "pickup_attempts"]
        if order.pickup_expires_at and to != Order.Status.READY_FOR_PICKUP:
            order.pickup_expires_at = None  # so is the deadline
            fields.append("pickup_expires_at")
        order.save(update_fields=fields)
        if payment_refund_due(order):
            transaction.on_commit(partial(_refund_later, order.pk))
        _event(
            order,
            type="status_changed",
            actor=actor,
            from_status=previous,
            to_status=to,
            note=note,
            payload={"role": role},
        ).save()
        outbox_emit(
            type=f"order.{to}",
            aggregate_type="order",
            aggregate_id=order.number,
            payload={"number": order.number, "from": previous, "to": to},
        )
    return order


def _open_allocations(order: Order) -> list[Allocation]:
    return list(Allocation.objects.filter(fulfilment_line__fulfilment__order=order, status=Allocation.Status.OPEN))


def _fulfilments_cancel(order: Order, *, actor=None) -> None:
    """A cancelled order's fulfilments (the order row is locked): transfers not yet shipped are
    called off, open allocations released, and every fulfilment not done is marked cancelled,
    whether or not it held an allocation. A transfer already in transit still arrives, and
    ``fulfilment_transfer_receive`` then only lands the goods in the store's stock."""
    # Fulfilments, then transfers, then allocations and stock rows: the order the transfer steps lock in.
    fulfilments = list(
        Fulfilment.objects.select_for_update(of=("self",))
        .select_related("transfer")
        .filter(order=order)
        .exclude(status__in=[Fulfilment.Status.DONE, Fulfilment.Status.CANCELLED])
        .order_by("pk")
    )
    for fulfilment in fulfilments:
        transfer = fulfilment.transfer
        if transfer is not None and transfer.status == Transfer.Status.REQUESTED:
            transfer_cancel(transfer=transfer, actor=_user(actor))
    open_allocations = _open_allocations(order)
    if open_allocations:
        stock_release(allocations=open_allocations, actor=actor)
    if fulfilments:
        Fulfilment.objects.filter(pk__in=[f.pk for f in fulfilments]).update(status=Fulfilment.Status.CANCELLED)


def order_cancel(*, order: Order, role: str, actor=None, note: str = "") -> Order:
    return order_transition(order=order, to=Order.Status.CANCELLED, role=role, actor=actor, note=note)


def _fulfilment_locked(fulfilment: Fulfilment) -> Fulfilment:
    # The order row first, as order_transition does: a cancellation and a transfer step of the
    # same order then wait for each other instead of each holding a row the other needs.
    list(
        Order.objects.select_for_update(of=("self",)).filter(fulfilments__pk=fulfilment.pk).values_list("pk", flat=True)
    )
    # Only the fulfilment row is locked: its transfer is an outer join PostgreSQL cannot lock.
    qs = Fulfilment.objects.select_for_update(of=("self",)).select_related("order", "transfer")
    return qs.get(pk=fulfilment.pk)


def fulfilment_transfer_ship(*, fulfilment: Fulfilment, actor=None) -> Fulfilment:
    """The source location sends a click & collect fulfilment's goods to the pickup store:
    its allocations there are consumed by the transfer (TRANSFER_OUT in the ledger)."""
    with transaction.atomic():
        fulfilment = _fulfilment_locked(fulfilment)
        if fulfilment.transfer is None or fulfilment.status != Fulfilment.Status.AWAITING_TRANSFER:
            raise InvalidTransition(_("This fulfilment is not waiting for a transfer."))
        allocations = [fl.allocation for fl in fulfilment.lines.select_related("allocation")]
        transfer_ship(transfer=fulfilment.transfer, actor=actor, allocations=allocations)
        _event(
            fulfilment.order, type="transfer_shipped", actor=actor, payload={"transfer": fulfilment.transfer_id}
        ).save()
    return fulfilment


def fulfilment_transfer_receive(*, fulfilment: Fulfilment, actor=None) -> Fulfilment:
    """The pickup store receives the transfer: the goods are allocated to the order in the store
    (TRANSFER_IN, then an allocation there), and when nothing else is in transit the order
    moves on to processing. For a cancelled order the goods only land in the store's stock."""
    with transaction.atomic():
        fulfilment = _fulfilment_locked(fulfilment)
        order = fulfilment.order
        transfer = fulfilment.transfer
        cancelled = fulfilment.status == Fulfilment.Status.CANCELLED
        in_transit = transfer is not None and transfer.status == Transfer.Status.IN_TRANSIT
        waiting = fulfilment.status == Fulfilment.Status.AWAITING_TRANSFER
        if transfer is None or not (waiting or (cancelled and in_transit)):
            raise InvalidTransition(_("This fulfilment is not waiting for a transfer."))
        if not in_transit:
            raise InvalidTransition(_("The transfer has not been shipped yet."))
        transfer_receive(transfer=transfer, actor=actor)
        if cancelled:
            _event(
                order,
                type="transfer_received",
                actor=actor,
                note=_("The order is cancelled: the goods stay in the store's stock."),
                payload={"transfer": transfer.pk},
            ).save()
            return fulfilment
        lines = list(fulfilment.lines.select_related("allocation").order_by("id"))
        new_allocations = stock_allocate(
            lines=[StockLine(fl.allocation.variant_id, order.pickup_location_id, fl.quantity) for fl in lines],
            reference=f"order:{order.number}",
            online=False,  # the units came for this order: no walk-in ring-fence applies
        )
        for line, allocation in zip(lines, new_allocations, strict=True):
            line.allocation = allocation
        FulfilmentLine.objects.bulk_update(lines, ["allocation"])
        fulfilment.location_id = order.pickup_location_id
        fulfilment.status = Fulfilment.Status.PENDING
        fulfilment.save(update_fields=["location", "status"])
        _event(order, type="transfer_received", actor=actor, payload={"transfer": fulfilment.transfer_id}).save()
        waiting = Fulfilment.objects.filter(order=order, status=Fulfilment.Status.AWAITING_TRANSFER).exists()
        if not waiting and order.status == Order.Status.AWAITING_TRANSFER:
            order_transition(order=order, to=Order.Status.PROCESSING, role=lifecycle.SYSTEM, actor=actor)
    return fulfilment
