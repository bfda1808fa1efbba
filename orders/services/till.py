"""Till sales: a store's POS reports a sale it made, and it becomes a completed order of the store
channel, its units sold from that store's stock through the ledger, its customer linked when the
till named one. A sale that happened is never refused for want of stock (``stock_sell``)."""

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Channel
from catalog.selectors import variants_by_sku_or_ean
from customers.services import customer_for_identifier
from inventory.models import Location
from inventory.selectors import store_get
from inventory.services import StockLine, stock_sell
from loyalty.pricing import Tender, TenderKind, cart_price
from omnishop.exceptions import DomainError
from omnishop.money import Money, money_round
from omnishop.outbox.services import outbox_batch
from omnishop.vocabulary import FulfilmentType

from ..events import OrderEventType, order_placed_message, order_status_message
from ..exceptions import InvalidOrder
from ..models import Order, OrderLine, TillSale
from ..requests import order_request_invalid
from .rewards import order_gift_cards_issue, order_rewards_fields, order_rewards_take
from .transitions import actor_user, order_event_build, order_event_record, order_number_new

# A till's clock may run a little ahead of ours; a sale further in the future is a typing error.
SOLD_AT_SKEW = timedelta(minutes=10)


class TillPaymentMethod(models.TextChoices):
    """How a till took the money (``TillSale.payments``)."""

    CASH = "cash", gettext_lazy("Cash")
    CARD = "card", gettext_lazy("Card")
    BLIK = "blik", gettext_lazy("BLIK")
    GIFT_CARD = TenderKind.GIFT_CARD.value, TenderKind.GIFT_CARD.label
    VOUCHER = "voucher", gettext_lazy("Voucher")
    STORE_CREDIT = TenderKind.STORE_CREDIT.value, TenderKind.STORE_CREDIT.label


class StoreNotFound(DomainError):
    """No active store with this code (a warehouse, an unknown or a closed location)."""

    code = "store_not_found"
    title = gettext_lazy("No active store with this code.")
    status_code = 404


class NotAStoreChannel(DomainError):
    code = "not_a_store_channel"
    title = gettext_lazy("Only a store channel records till sales.")
    status_code = 403


class TillReceiptConflict(DomainError):
    """The store's receipt number was recorded before with other content."""

    code = "till_receipt_conflict"
    title = gettext_lazy("This till receipt was already recorded with other content.")
    status_code = 409


@dataclass(frozen=True)
class TillLine:
    """One line of the receipt: the item by ``sku`` or by ``ean`` (one of them), units sold and the
    gross unit price the till charged (after its discounts)."""

    quantity: int
    unit_price: Decimal
    sku: str = ""
    ean: str = ""


@dataclass(frozen=True)
class TillSalePayment:
    method: str  # a ``TillPaymentMethod``
    amount: Decimal
    # A gift card's code (method gift_card): omnishop's own cards are spent in the same transaction.
    code: str = ""


@dataclass(frozen=True)
class TillCustomer:
    """Who the till named: ``kind`` is loyalty_card, phone or email."""

    kind: str
    value: str


@dataclass(frozen=True)
class TillSaleRequest:
    store: str  # the store's location code
    receipt_number: str
    sold_at: datetime
    lines: tuple[TillLine, ...]
    payments: tuple[TillSalePayment, ...]
    customer: TillCustomer | None = None
    # What the till took off as ``POST /api/v1/pos/price/`` priced it: booked with the sale.
    coupon_code: str = ""
    points: int = 0

    def fingerprint(self, *, channel: Channel) -> str:
        """A stable hash of the sale as the till sent it, to tell a resend from other content."""
        payload = {"channel": channel.code, "sale": asdict(self)}
        payload["sale"]["sold_at"] = self.sold_at.astimezone(UTC).isoformat()
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class _Resolved:
    store: Location
    variants: list  # one catalog.selectors.VariantByCode per line
    totals: list[Decimal]
    total: Decimal


def _store(channel: Channel, code: str) -> Location:
    if channel.kind != Channel.Kind.STORE:
        raise NotAStoreChannel(
            _("Channel %(channel)s is not a store channel: it records no till sales.") % {"channel": channel.code}
        )
    store = store_get(code=code)
    if store is None:
        raise StoreNotFound(
            _("No active store with the code %(code)s.") % {"code": code},
            errors={"store": [_("No active store with this code.")]},
        )
    return store


def _resolve(channel: Channel, data: TillSaleRequest) -> _Resolved:
    """The sale's store, variants and money, or ``InvalidOrder`` with every field error."""
    store = _store(channel, data.store)
    errors: dict[str, list[str]] = {}
    if not data.receipt_number.strip():
        errors["receipt_number"] = [_("Give the till receipt number.")]
    if timezone.is_naive(data.sold_at):
        errors["sold_at"] = [_("Give the time of the sale with its time zone.")]
    elif data.sold_at > timezone.now() + SOLD_AT_SKEW:
        errors["sold_at"] = [_("The sale cannot be in the future.")]
    if not data.lines:
        errors["lines"] = [_("A till sale needs at least one line.")]
    found = variants_by_sku_or_ean(
        skus=[ln.sku for ln in data.lines if ln.sku], eans=[ln.ean for ln in data.lines if ln.ean]
    )
    variants, totals = [], []
    for i, line in enumerate(data.lines):
        if bool(line.sku) == bool(line.ean):
            errors[f"lines.{i}"] = [_("Name the item by its SKU or by its EAN, one of them.")]
            variant = None
        else:
            variant = found.get(f"sku:{line.sku}" if line.sku else f"ean:{line.ean}")
            if variant is None:
                field, code = ("sku", line.sku) if line.sku else ("ean", line.ean)
                errors[f"lines.{i}.{field}"] = [
                    _("Unknown %(field)s %(code)s.") % {"field": field.upper(), "code": code}
                ]
        if line.quantity < 1:
            errors[f"lines.{i}.quantity"] = [_("Every line needs at least one unit.")]
        if line.unit_price < 0:
            errors[f"lines.{i}.unit_price"] = [_("A price cannot be negative.")]
        variants.append(variant)
        totals.append(money_round(Money(line.unit_price * max(line.quantity, 0), channel.currency)).amount)
    total = money_round(Money(sum(totals, Decimal("0")), channel.currency)).amount
    if not data.payments:
        errors["payments"] = [_("Give how the sale was paid.")]
    for i, payment in enumerate(data.payments):
        if payment.method not in TillPaymentMethod.values:
            errors[f"payments.{i}.method"] = [
                _("Unknown payment method %(method)s: use one of %(methods)s.")
                % {"method": payment.method, "methods": ", ".join(TillPaymentMethod.values)}
            ]
        if payment.amount <= 0:
            errors[f"payments.{i}.amount"] = [_("A payment is more than zero.")]
    paid = sum((p.amount for p in data.payments), Decimal("0"))
    if data.payments and "lines" not in errors and paid != total:
        errors.setdefault("payments", []).append(
            _("The payments add up to %(paid)s but the lines to %(total)s.") % {"paid": paid, "total": total}
        )
    if errors:
        raise order_request_invalid(errors)
    return _Resolved(store=store, variants=variants, totals=totals, total=total)


def _existing(store: Location, data: TillSaleRequest, fingerprint: str) -> Order | None:
    """The order the same receipt of ``store`` became before, if any; other content is a conflict."""
    sale = TillSale.objects.select_related("order").filter(location=store, receipt_number=data.receipt_number).first()
    if sale is None:
        return None
    if sale.fingerprint != fingerprint:
        message = _(
            "Receipt %(receipt)s of store %(store)s was already recorded (order %(number)s) with other content; "
            "nothing was changed."
        ) % {"receipt": data.receipt_number, "store": store.code, "number": sale.order.number}
        raise TillReceiptConflict(message, errors={"receipt_number": [message]})
    order = sale.order
    order.replayed = True
    return order


def till_customer_find(customer: TillCustomer | None):
    """The customer the till named (None when it named nobody or nobody has that card, phone or
    e-mail); raises ``InvalidOrder`` (``customer.kind`` / ``customer.value``) for a bad one."""
    if customer is None or not customer.value.strip():
        return None
    try:
        return customer_for_identifier(kind=customer.kind, value=customer.value)
    except ValidationError as exc:
        raise InvalidOrder(
            " ".join(exc.messages),
            errors={"customer.value" if "phone" in exc.message_dict else "customer.kind": exc.messages},
        ) from None


def _payment_method(payments: tuple[TillSalePayment, ...]) -> str:
    methods = sorted({p.method for p in payments})
    return "+".join(methods)[:40]


def till_sale_record(*, channel: Channel, data: TillSaleRequest, actor=None) -> Order:
    """Record a sale a store's till made as a completed order of the store ``channel``, at the
    prices the till charged, paid as the till says, with a ``TillSale`` row (store, receipt, sold
    at, payments). The units leave that store's stock with SALE entries in the ledger; a sale
    taking more than the system believed was free there gets a COUNT correction first
    (``inventory.services.stock_sell``), named on the order's timeline and in
    ``TillSale.stock_corrections``. The customer the till named (loyalty card, phone, e-mail) is
    linked when one is found (``customers.services.customer_for_identifier``). One transaction:
    the order, its lines, events (``order.placed``, ``order.completed``) and outbox rows.

    Idempotent per (store, receipt number), held by a unique constraint: the same sale again
    returns the first order (``replayed``), even when both arrive at once; other content raises
    ``TillReceiptConflict``. Raises ``NotAStoreChannel`` for another kind of channel,
    ``StoreNotFound`` for a code that is no active store, ``InvalidOrder`` with field errors
    (``lines.<i>.sku`` / ``lines.<i>.ean`` for an unknown item, payments that do not add up to
    the lines, a sale in the future)."""
    resolved = _resolve(channel, data)
    fingerprint = data.fingerprint(channel=channel)
    existing = _existing(resolved.store, data, fingerprint)
    if existing is not None:
        return existing
    try:
        return _till_sale_new(channel=channel, data=data, resolved=resolved, fingerprint=fingerprint, actor=actor)
    except IntegrityError:
        # The same receipt recorded at the same moment: its unique row made this one wait, then refused it.
        existing = _existing(resolved.store, data, fingerprint)
        if existing is None:
            raise
        return existing


def _till_sale_new(*, channel, data: TillSaleRequest, resolved: _Resolved, fingerprint: str, actor) -> Order:
    store = resolved.store
    with transaction.atomic(durable=True), outbox_batch():  # the sale's order, stock and loyalty events: one write
        customer = till_customer_find(data.customer)
        prefix, number = order_number_new()
        order = Order.objects.create(
            number=number,
            channel=channel,
            customer=customer,
            email=customer.email if customer else "",
            phone=customer.phone if customer else "",
            contact_name=str(customer) if customer else "",
            status=Order.Status.COMPLETED,
            fulfilment_type=FulfilmentType.IN_STORE,
            pickup_location=store,
            payment_status=Order.PaymentStatus.PAID,
            payment_method=_payment_method(data.payments),
            payment_reference=f"till:{store.code}:{data.receipt_number}"[:100],
            currency=channel.currency,
            subtotal=resolved.total,
            total=resolved.total,
            language=customer.language if customer else settings.LANGUAGE_CODE,
        )
        order.number = f"{prefix}{order.pk:07d}"
        # Before any stock row: a second copy of this receipt waits here, on the unique index, holding nothing.
        sale = TillSale.objects.create(
            order=order,
            location=store,
            receipt_number=data.receipt_number,
            sold_at=data.sold_at,
            payments=[{"method": p.method, "amount": str(p.amount)} for p in data.payments],
            fingerprint=fingerprint,
        )
        lines = OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    variant_id=variant.pk,
                    sku=variant.sku,
                    name=f"{variant.product_name} {' / '.join(p for p in (variant.size, variant.colour) if p)}".strip(),
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    line_total=total,
                )
                for line, variant, total in zip(data.lines, resolved.variants, resolved.totals, strict=True)
            ]
        )
        corrections = stock_sell(
            lines=[StockLine(ln.variant_id, store.pk, ln.quantity) for ln in lines],
            actor=actor,
            reference=f"order:{order.number}",
            note=_("Till sale %(receipt)s found more units on the shelf than recorded.")
            % {"receipt": data.receipt_number},
        )
        sku_of = {ln.variant_id: ln.sku for ln in lines}
        sale.stock_corrections = {
            sku_of[variant_id]: units for (variant_id, _loc), units in sorted(corrections.items())
        }
        if sale.stock_corrections:
            TillSale.objects.filter(pk=sale.pk).update(stock_corrections=sale.stock_corrections)
        note = _("Sold at the till of %(store)s, receipt %(receipt)s.") % {
            "store": store.name,
            "receipt": data.receipt_number,
        }
        if sale.stock_corrections:
            note += " " + _("Stock corrected by a count: %(skus)s.") % {
                "skus": ", ".join(f"{sku} +{units}" for sku, units in sale.stock_corrections.items())
            }
        events = order_event_record(
            events=[
                order_event_build(
                    order,
                    type=OrderEventType.PLACED,
                    actor=actor,
                    to_status=order.status,
                    note=note[:300],
                    payload={
                        "till": {"store": store.code, "receipt_number": data.receipt_number},
                        "stock_corrections": sale.stock_corrections,
                    },
                )
            ],
            messages=[
                order_placed_message(order=order, channel_code=channel.code, lines=lines),
                order_status_message(order=order, from_status=Order.Status.PLACED, to_status=order.status),
            ],
        )
        _till_rewards_take(order=order, data=data, lines=lines, actor=actor)
        order_gift_cards_issue(order=order, actor=actor_user(actor))  # paid at the till
    order.line_list, order.fulfilment_list, order.timeline = lines, [], events
    order.till_sale = sale
    return order


def _till_rewards_take(*, order: Order, data: TillSaleRequest, lines: list[OrderLine], actor) -> None:
    """The till priced the sale (``POST /api/v1/pos/price/``); recording it books what that
    priced: the coupon's use, the points paid with, omnishop's gift cards and store credit the
    till took, and the points the sale earns on what the till charged (the same earning rules as
    every channel, pending until the return window closes)."""
    tenders = tuple(
        Tender(kind=TenderKind(p.method), amount=p.amount, code=p.code)
        for p in data.payments
        if p.method == TillPaymentMethod.STORE_CREDIT or (p.method == TillPaymentMethod.GIFT_CARD and p.code)
    )
    if order.customer is None and not (tenders or data.coupon_code):
        return
    priced = cart_price(
        lines={ln.variant_id: ln.quantity for ln in lines},
        channel=order.channel,
        customer=order.customer,
        fulfilment_type=FulfilmentType.IN_STORE,
        sold_at={ln.variant_id: ln.unit_price for ln in lines},
    )
    priced = replace(priced, coupon_code=data.coupon_code, points_redeemed=data.points, tenders=tenders)
    fields = order_rewards_fields(priced=priced, customer=order.customer)
    Order.objects.filter(pk=order.pk).update(**fields)
    for name, value in fields.items():
        setattr(order, name, value)
    order_rewards_take(order=order, priced=priced, actor=actor_user(actor))
