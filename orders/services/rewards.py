"""What an order spends and earns in loyalty, taken in ``order_place``'s transaction and given
back when the order is cancelled.

Spending follows the pricing engine's figures (``loyalty.pricing.PricedCart``): redeemed points,
the coupon, a gift card and store credit. Loyalty's own services lock their rows in the order
``loyalty.lock_objects`` gives (points account → promotion and coupon → gift card → store
credit); they are called here after the stock rows were locked, so an order's whole lock set is
always taken in one order and two orders cannot deadlock. Each names the order by its number,
which makes giving back (``order_rewards_return``) exact and idempotent.
"""

from decimal import Decimal

from loyalty.pricing import PricedCart, TenderKind
from loyalty.selectors.wallets import gift_cards_sold_exist
from loyalty.services.coupons import coupon_redeem, coupon_redemptions_release
from loyalty.services.giftcards import giftcard_issue, giftcard_refund, giftcard_spend, giftcards_void_for_reference
from loyalty.services.points import points_account_lock, points_order_book, points_order_reverse
from loyalty.services.store_credit import store_credit_refund, store_credit_spend

from ..models import Order, OrderLine
from ..notices import Notice, order_notify


def order_rewards_fields(*, priced: PricedCart, customer) -> dict:
    """The order's loyalty fields from its pricing: the coupon, the points, what a gift card and
    store credit pay, and the receipt-level explanation (empty when loyalty gave nothing)."""
    paid_by = {kind: sum((t.amount for t in priced.tenders if t.kind == kind), Decimal("0")) for kind in TenderKind}
    explained = priced.promotions or priced.points_to_earn or priced.points_redeemed or priced.tenders
    return {
        "coupon_code": priced.coupon_code,
        "points_redeemed": priced.points_redeemed,
        "points_earned": priced.points_to_earn if customer is not None else 0,
        "gift_card_total": paid_by[TenderKind.GIFT_CARD],
        "store_credit_total": paid_by[TenderKind.STORE_CREDIT],
        "pricing": priced.explanation() if explained else {},
    }


def order_rewards_take(*, order: Order, priced: PricedCart, actor=None) -> None:
    """Spend what ``priced`` says the order pays with and book the points it earns (pending).
    Raises loyalty's errors (``InsufficientPoints``, ``CouponUsedUp``, ``GiftCardInsufficient``,
    ``StoreCreditInsufficient``...) when another order spent it meanwhile: the caller's
    transaction then writes nothing.

    The services run with ``savepoint=False``: any refusal here ends the whole order (nothing in
    ``order_place`` or the till catches one inside their transaction), so their own savepoints
    would only cost round trips. The points account is locked once, first (step 1 of loyalty's
    lock order, before the coupon's and the wallets' rows), and the redeem and the earn are booked
    on it together (``points_order_book``), before the coupon and the wallets."""
    customer = order.customer
    channel_code = order.channel.code
    reference = order.number
    earn = priced.points_to_earn if customer is not None else 0
    if customer is not None and (priced.points_redeemed or earn):
        points_order_book(
            customer=customer,
            account=points_account_lock(customer=customer),
            redeem=priced.points_redeemed,
            earn=earn,
            reference=reference,
            channel_code=channel_code,
            channel_kind=order.channel.kind,
            explanation=list(priced.points_explanation),
            actor=actor,
        )
    if priced.coupon_code:
        amount = sum((p.amount for p in priced.promotions if p.code == priced.coupon_code), 0)
        coupon_redeem(
            code=priced.coupon_code,
            customer=customer,
            channel_code=channel_code,
            reference=reference,
            amount=amount,
            currency=priced.currency,
            actor=actor,
            savepoint=False,
        )
    for tender in priced.tenders:
        if tender.kind == TenderKind.GIFT_CARD:
            giftcard_spend(
                code=tender.code,
                amount=tender.amount,
                currency=priced.currency,
                reference=reference,
                channel_code=channel_code,
                actor=actor,
                savepoint=False,
            )
        elif customer is not None:
            store_credit_spend(
                customer=customer,
                amount=tender.amount,
                currency=priced.currency,
                reference=reference,
                channel_code=channel_code,
                actor=actor,
                savepoint=False,
            )


def order_rewards_return(*, order: Order, actor=None) -> None:
    """A cancelled order gives back what it spent (points, the coupon's use, the gift card's and
    store credit's money) and loses the points it earned. Idempotent: each service gives back
    only what is still out under the order's number."""
    if gift_cards_sold_exist(reference=order.number):  # the cards it sold stop working
        giftcards_void_for_reference(reference=order.number, actor=actor)
    reference = order.number
    if order.points_redeemed or order.points_earned:
        points_order_reverse(reference=reference, actor=actor)
    if order.coupon_code:
        coupon_redemptions_release(reference=reference, actor=actor)
    if order.gift_card_total:
        giftcard_refund(reference=reference, actor=actor)
    if order.store_credit_total:
        store_credit_refund(reference=reference, actor=actor)


def order_gift_cards_issue(*, order: Order, actor=None) -> int:
    """The order is paid: issue one gift card per unit of its gift-card lines (of the line's unit
    price, owned by its customer) and send the buyer their codes (read at send time, never kept in
    the notification). Idempotent: an order whose cards were issued issues none again. Returns the
    number of cards issued. A cancelled order's cards are voided (``order_rewards_return``)."""
    lines = list(
        OrderLine.objects.filter(order=order, variant__product__is_gift_card=True).values_list("unit_price", "quantity")
    )
    if not lines or gift_cards_sold_exist(reference=order.number):
        return 0
    customer = order.customer if order.customer_id else None
    issued = 0
    for unit_price, quantity in lines:
        for _unit in range(quantity):
            giftcard_issue(
                amount=unit_price,
                currency=order.currency,
                actor=actor,
                reference=order.number,
                customer=customer,
                channel_code=order.channel.code,
            )
            issued += 1
    order_notify(order, Notice.GIFT_CARDS_ISSUED, cards=issued)
    return issued
