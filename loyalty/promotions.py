"""Promotions applied to a basket: which ones fit, in what order, and what each line gets off.

Pure over the ``Basket`` plus its reads (at most 3 queries whatever the number of lines and
promotions: the coupon, the candidate promotions with their targets as arrays, nothing else);
nothing is written here: ``loyalty.services.coupons.coupon_redeem`` records a use.

Which promotion fits a basket
  active; ``valid_from <= basket.at < valid_to`` (open ends allowed); the basket's channel kind
  among ``channel_kinds`` and the channel among ``channels`` (an empty list allows all); the
  targets: with tier codes or target customers set, the basket's customer must be in the list or
  have one of the tiers (either is enough); the minimum basket is the basket's goods at list
  price, gift cards excluded, and applies in the promotion's currency only (another currency's
  basket does not qualify); a fixed amount is in the promotion's currency too.

Evaluation order and stacking
  1. Automatic promotions (no code) by ``priority`` (lower first), then id. An *exclusive* one
     that fits the basket is the only automatic one applied (the first by priority, when several
     fit); otherwise every non-exclusive one applies in turn, each on what the lines still cost
     after the ones before it.
  2. The coupon (one per basket) applies after them on the already-discounted lines. An
     *exclusive coupon* replaces the automatic promotions: it is the only promotion applied, on
     the list prices (the customer chose it). A non-exclusive coupon cannot combine with an
     exclusive automatic promotion that applies: ``CouponInvalid`` says so.
  Usage limits (``max_uses``, ``max_uses_per_customer``) count coupon redemptions, so they limit
  coupon promotions; an automatic promotion has no redemption to count.

What a promotion gives, and the rounding
  Gift-card lines are never discounted. A line is covered by the scope: cart (every line),
  categories (the line's category or an ancestor of it), brands, or SKUs (variants).
  percent: ``value`` % of what the covered lines still cost, rounded half-up to the currency
  once; fixed: ``value``, at most what the covered lines still cost; buy X get Y: of every
  ``buy + get`` covered units, the ``get`` cheapest (or dearest) are ``get_discount_percent`` %
  off, priced at what they still cost, the total rounded half-up once. Every total is then shared
  across the covered lines with ``loyalty.basket.apportion`` (largest remainder, weights = what
  each line still costs, or each line's share of the discounted units), so the parts sum to the
  total exactly and no line ever gets more off than it costs.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Upper
from django.utils.translation import gettext as _

from omnishop.money import Money, money_display, money_round

from .basket import Basket, BasketLine, apportion
from .exceptions import CouponInvalid
from .models import Coupon, CouponRedemption, Promotion

ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class AppliedPromotion:
    promotion_id: int
    name: str
    code: str  # "" for an automatic promotion
    amount: Decimal
    line_discounts: dict[int, Decimal]
    explanation: str


@dataclass(frozen=True)
class PromotionOutcome:
    applied: tuple[AppliedPromotion, ...] = ()
    # variant id → the line's total discount (never above the line total)
    line_discounts: dict[int, Decimal] = field(default_factory=dict)
    discount_total: Decimal = ZERO
    coupon_code: str = ""


def coupon_code_normalise(code: str) -> str:
    """Codes compare without case and surrounding spaces; stored and shown upper-case."""
    return (code or "").strip().upper()


def _customer_id(customer) -> int | None:
    return getattr(customer, "pk", None)


def promotions_with_targets(queryset, *, customer_id: int | None):
    """``queryset`` of promotions annotated with their targets (one query when evaluated):
    ``category_id_list``, ``brand_id_list``, ``variant_id_list``, ``channel_id_list``,
    ``has_target_customers``, ``is_target_customer`` and ``customer_uses`` (the customer's
    redemptions not released)."""
    through = Promotion
    targets = through.target_customers.through.objects.filter(promotion_id=OuterRef("pk"))
    uses = (
        CouponRedemption.objects.filter(promotion_id=OuterRef("pk"), customer_id=customer_id, released_at__isnull=True)
        .order_by()
        .values("promotion_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        category_id_list=ArraySubquery(
            through.categories.through.objects.filter(promotion_id=OuterRef("pk")).values("category_id")
        ),
        brand_id_list=ArraySubquery(
            through.brands.through.objects.filter(promotion_id=OuterRef("pk")).values("brand_id")
        ),
        variant_id_list=ArraySubquery(
            through.variants.through.objects.filter(promotion_id=OuterRef("pk")).values("variant_id")
        ),
        channel_id_list=ArraySubquery(
            through.channels.through.objects.filter(promotion_id=OuterRef("pk")).values("channel_id")
        ),
        has_target_customers=Exists(targets),
        is_target_customer=Exists(targets.filter(customer_id=customer_id)) if customer_id else Value(False),
        customer_uses=Coalesce(Subquery(uses, output_field=IntegerField()), 0) if customer_id else Value(0),
    )


def promotions_in_play(*, at: datetime, customer_id: int | None, coupon_promotion_id: int | None) -> list[Promotion]:
    """The automatic promotions active at ``at`` and the coupon's promotion (when given), in
    priority order, with the targets ``promotions_with_targets`` annotates. One query.

    The same statement as ``promotions_with_targets`` would build, written in SQL: every basket is
    priced through here, and building it through the ORM cost several times running it."""
    return list(
        Promotion.objects.raw(
            _IN_PLAY_SQL, {"at": at, "customer": customer_id or 0, "coupon_promotion": coupon_promotion_id or 0}
        )
    )


def _in_play_sql() -> str:
    table = Promotion._meta.db_table
    through = {
        name: Promotion._meta.get_field(name).remote_field.through._meta.db_table
        for name in ("categories", "brands", "variants", "channels", "target_customers")
    }
    redemptions = CouponRedemption._meta.db_table
    # Table names from the models' own metadata, never input; the values are bound parameters.
    return f"""
SELECT p.*,
       ARRAY(SELECT x.category_id FROM {through["categories"]} x WHERE x.promotion_id = p.id) AS category_id_list,
       ARRAY(SELECT x.brand_id FROM {through["brands"]} x WHERE x.promotion_id = p.id) AS brand_id_list,
       ARRAY(SELECT x.variant_id FROM {through["variants"]} x WHERE x.promotion_id = p.id) AS variant_id_list,
       ARRAY(SELECT x.channel_id FROM {through["channels"]} x WHERE x.promotion_id = p.id) AS channel_id_list,
       EXISTS(SELECT 1 FROM {through["target_customers"]} t WHERE t.promotion_id = p.id) AS has_target_customers,
       EXISTS(SELECT 1 FROM {through["target_customers"]} t
               WHERE t.promotion_id = p.id AND t.customer_id = %(customer)s) AS is_target_customer,
       (SELECT count(*) FROM {redemptions} r
         WHERE r.promotion_id = p.id AND r.customer_id = %(customer)s AND r.released_at IS NULL) AS customer_uses
  FROM {table} p
 WHERE (p.automatic AND p.is_active
        AND (p.valid_from IS NULL OR p.valid_from <= %(at)s) AND (p.valid_to IS NULL OR p.valid_to > %(at)s))
    OR p.id = %(coupon_promotion)s
 ORDER BY p.priority, p.id
"""  # noqa: S608


_IN_PLAY_SQL = _in_play_sql()


def _covers(promotion: Promotion, line: BasketLine) -> bool:
    if line.is_gift_card:
        return False
    scope = promotion.scope
    if scope == Promotion.Scope.CART:
        return True
    if scope == Promotion.Scope.CATEGORIES:
        return bool(line.category_ids & set(promotion.category_id_list))
    if scope == Promotion.Scope.BRANDS:
        return line.brand_id is not None and line.brand_id in promotion.brand_id_list
    return line.variant_id in promotion.variant_id_list


def _goods_total(basket: Basket) -> Decimal:
    return sum((line.line_total for line in basket.lines if not line.is_gift_card), ZERO)


def promotion_refusal(promotion: Promotion, *, basket: Basket, tier_code: str = "") -> str:
    """Why ``promotion`` (annotated by ``promotions_with_targets``) cannot apply to ``basket``
    ("" when it can, as far as dates, channel, targets and minimum basket go)."""
    at = basket.at
    if not promotion.is_active:
        return _("This promotion is no longer active.")
    if promotion.valid_from and at < promotion.valid_from:
        return _("This promotion starts on %(date)s.") % {"date": _date(promotion.valid_from)}
    if promotion.valid_to and at >= promotion.valid_to:
        return _("This promotion ended on %(date)s.") % {"date": _date(promotion.valid_to)}
    channel = basket.channel
    kind_ok = not promotion.channel_kinds or getattr(channel, "kind", None) in promotion.channel_kinds
    channel_ok = not promotion.channel_id_list or getattr(channel, "pk", None) in promotion.channel_id_list
    if not (kind_ok and channel_ok):
        return _("This promotion is not available in this channel.")
    if promotion.target_tier_codes or promotion.has_target_customers:
        in_tier = bool(tier_code) and tier_code in promotion.target_tier_codes
        if not (in_tier or promotion.is_target_customer):
            if basket.customer is None:
                return _("Sign in to use this promotion: it is for selected customers.")
            return _("This promotion is for selected customers or tiers only.")
    needs_money = promotion.min_basket_amount > 0 or promotion.kind == Promotion.Kind.FIXED
    if needs_money and promotion.currency != basket.currency:
        return _("This promotion is only available in %(currency)s.") % {"currency": promotion.currency}
    if promotion.min_basket_amount > 0 and _goods_total(basket) < promotion.min_basket_amount:
        return _("The basket must reach %(amount)s (gift cards excluded).") % {
            "amount": money_display(promotion.min_basket_amount, promotion.currency)
        }
    return ""


def _date(value: datetime) -> str:
    from django.utils import timezone

    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _round(amount: Decimal, currency: str) -> Decimal:
    return money_round(Money(amount, currency)).amount


def promotion_discount(promotion: Promotion, *, basket: Basket, remaining: dict[int, Decimal]) -> dict[int, Decimal]:
    """What each covered line gets off (variant id → amount, summing to the promotion's total),
    given what each line still costs (``remaining``). Empty when nothing is covered."""
    currency = basket.currency
    lines = [ln for ln in basket.lines if _covers(promotion, ln) and remaining.get(ln.variant_id, ZERO) > 0]
    if not lines:
        return {}
    weights = {ln.variant_id: remaining[ln.variant_id] for ln in lines}
    still = sum(weights.values(), ZERO)
    if promotion.kind == Promotion.Kind.PERCENT:
        total = _round(still * promotion.value / HUNDRED, currency)
    elif promotion.kind == Promotion.Kind.FIXED:
        total = min(_round(promotion.value, currency), still)
    else:
        weights = _units_got(promotion, lines, remaining)
        total = _round(sum(weights.values(), ZERO), currency)
    return apportion(total, weights, currency)


def _units_got(promotion: Promotion, lines: list[BasketLine], remaining: dict[int, Decimal]) -> dict[int, Decimal]:
    """Buy X get Y: the discount each line's units got earn, unrounded (line → value)."""
    group = promotion.buy_quantity + promotion.get_quantity
    units = []  # (unit price still to pay, variant id), one per unit
    for ln in lines:
        unit_price = remaining[ln.variant_id] / ln.quantity
        units.extend([(unit_price, ln.variant_id)] * ln.quantity)
    got = (len(units) // group) * promotion.get_quantity if group else 0
    units.sort(key=lambda u: (u[0], u[1]), reverse=not promotion.cheapest_free)
    off: dict[int, Decimal] = {}
    for unit_price, variant_id in units[:got]:
        off[variant_id] = off.get(variant_id, ZERO) + unit_price * promotion.get_discount_percent / HUNDRED
    return off


def promotion_explanation(promotion: Promotion, *, currency: str | None = None) -> str:
    """What the promotion gives, as the customer reads it ("10% off", "Buy 2, get 1 free")."""
    if promotion.kind == Promotion.Kind.PERCENT:
        text = _("%(value)s%% off") % {"value": promotion.value.normalize()}
    elif promotion.kind == Promotion.Kind.FIXED:
        text = _("%(amount)s off") % {"amount": money_display(promotion.value, currency or promotion.currency)}
    elif promotion.get_discount_percent >= HUNDRED:
        text = _("Buy %(buy)d, get %(get)d free") % {"buy": promotion.buy_quantity, "get": promotion.get_quantity}
    else:
        text = _("Buy %(buy)d, get %(get)d at %(percent)s%% off") % {
            "buy": promotion.buy_quantity,
            "get": promotion.get_quantity,
            "percent": promotion.get_discount_percent.normalize(),
        }
    if promotion.min_basket_amount > 0:
        text += " " + _("from %(amount)s") % {"amount": money_display(promotion.min_basket_amount, promotion.currency)}
    return text


def coupon_refusal(coupon: Coupon, *, customer, at: datetime) -> str:
    """Why the coupon itself (not its promotion) cannot be used by ``customer`` now ("" if it can);
    ``coupon.promotion`` must carry the ``promotions_with_targets`` annotations."""
    promotion = coupon.promotion
    if coupon.customer_id is not None and coupon.customer_id != _customer_id(customer):
        return _("This coupon is personal: only the customer it was given to may use it.")
    if coupon.expires_at and at >= coupon.expires_at:
        return _("This coupon expired on %(date)s.") % {"date": _date(coupon.expires_at)}
    if promotion.max_uses_per_customer is not None and customer is None:
        return _("Sign in to use this coupon.")
    return ""


def coupon_used_up(coupon: Coupon) -> str:
    """Why no use of the coupon is left ("" while one is); reads the annotated promotion."""
    promotion = coupon.promotion
    if coupon.single_use and coupon.uses >= 1:
        return _("This coupon has already been used.")
    if promotion.max_uses is not None and promotion.uses >= promotion.max_uses:
        return _("This promotion has been used up.")
    limit = promotion.max_uses_per_customer
    if limit is not None and promotion.customer_uses >= limit:
        return _("You have already used this promotion the maximum number of times (%(limit)d).") % {"limit": limit}
    return ""


def _invalid(message: str) -> CouponInvalid:
    return CouponInvalid(message, errors={"coupon_code": [message]})


def _apply(promotion, *, basket, remaining, code="") -> AppliedPromotion | None:
    parts = {k: v for k, v in promotion_discount(promotion, basket=basket, remaining=remaining).items() if v > 0}
    if not parts:
        return None
    return AppliedPromotion(
        promotion_id=promotion.pk,
        name=promotion.name,
        code=code,
        amount=sum(parts.values(), ZERO),
        line_discounts=parts,
        explanation=promotion_explanation(promotion, currency=basket.currency),
    )


UNREAD = object()  # ``promotions_apply``'s coupon not read by the caller


def promotions_apply(
    *, basket: Basket, coupon_code: str = "", tier_code: str = "", coupon: Coupon | None = UNREAD
) -> PromotionOutcome:
    """The promotions that apply to ``basket`` (see the module docstring for order and rounding).
    Raises ``CouponInvalid`` when ``coupon_code`` is given and cannot apply, saying why.
    ``coupon``: the coupon of ``coupon_code`` when the caller read it already (None: no coupon
    has the code); else it is read here."""
    code = coupon_code_normalise(coupon_code)
    customer_id = _customer_id(basket.customer)
    if not code:
        coupon = None
    elif coupon is UNREAD:
        coupon = Coupon.objects.annotate(code_upper=Upper("code")).filter(code_upper=code).first()
    if code and coupon is None:
        raise _invalid(_("Unknown coupon code."))
    at = basket.at
    promotions = promotions_in_play(
        at=at, customer_id=customer_id, coupon_promotion_id=coupon.promotion_id if coupon else None
    )
    coupon_promotion = None
    if coupon is not None:
        coupon_promotion = next(p for p in promotions if p.pk == coupon.promotion_id)
        coupon.promotion = coupon_promotion
        why = coupon_refusal(coupon, customer=basket.customer, at=at)
        why = why or promotion_refusal(coupon_promotion, basket=basket, tier_code=tier_code) or coupon_used_up(coupon)
        if why:
            raise _invalid(why)

    full = {ln.variant_id: ln.line_total for ln in basket.lines}
    automatic = [p for p in promotions if p.automatic and p is not coupon_promotion]
    automatic = [p for p in automatic if not promotion_refusal(p, basket=basket, tier_code=tier_code)]
    applied: list[AppliedPromotion] = []
    exclusive_auto = None
    if coupon_promotion is None or not coupon_promotion.exclusive:
        for promotion in (p for p in automatic if p.exclusive):
            found = _apply(promotion, basket=basket, remaining=full)
            if found:
                applied, exclusive_auto = [found], promotion
                break
        remaining = dict(full)
        if exclusive_auto is None:
            for promotion in (p for p in automatic if not p.exclusive):
                found = _apply(promotion, basket=basket, remaining=remaining)
                if found:
                    applied.append(found)
                    _subtract(remaining, found.line_discounts)
        else:
            _subtract(remaining, applied[0].line_discounts)
    else:
        remaining = dict(full)

    if coupon_promotion is not None:
        if exclusive_auto is not None:
            raise _invalid(
                _("This coupon cannot be combined with the promotion “%(name)s”.") % {"name": exclusive_auto.name}
            )
        found = _apply(coupon_promotion, basket=basket, remaining=remaining, code=coupon.code.upper())
        if found is None:
            raise _invalid(_("Nothing in the basket is covered by this coupon."))
        applied.append(found)

    line_discounts: dict[int, Decimal] = {}
    for item in applied:
        for variant_id, amount in item.line_discounts.items():
            line_discounts[variant_id] = line_discounts.get(variant_id, ZERO) + amount
    return PromotionOutcome(
        applied=tuple(applied),
        line_discounts=line_discounts,
        discount_total=sum(line_discounts.values(), ZERO),
        coupon_code=code if coupon is not None else "",
    )


def _subtract(remaining: dict[int, Decimal], parts: dict[int, Decimal]) -> None:
    for variant_id, amount in parts.items():
        remaining[variant_id] -= amount
