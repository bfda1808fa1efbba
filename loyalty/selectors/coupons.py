"""Reads of coupons: the customer's usable coupons (REST "my coupons"), and the card's lists."""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from ..models import Coupon, CouponRedemption, Promotion
from ..promotions import coupon_refusal, coupon_used_up, promotions_with_targets


def _remaining_uses(coupon: Coupon) -> int | None:
    """How many more times the customer may use the coupon (None: no limit)."""
    promotion = coupon.promotion
    left = []
    if coupon.single_use:
        left.append(1 - coupon.uses)
    if promotion.max_uses is not None:
        left.append(promotion.max_uses - promotion.uses)
    if promotion.max_uses_per_customer is not None:
        left.append(promotion.max_uses_per_customer - promotion.customer_uses)
    return max(min(left), 0) if left else None


def _aimed_at(promotion: Promotion, tier_code: str) -> bool:
    """The promotion is for everyone, or for this customer (in its list, or of one of its tiers)."""
    if not (promotion.target_tier_codes or promotion.has_target_customers):
        return True
    return promotion.is_target_customer or (bool(tier_code) and tier_code in promotion.target_tier_codes)


def coupons_list_for_customer(*, customer, at: datetime | None = None, tier_code: str = "") -> list[Coupon]:
    """The coupons ``customer`` may use now: their personal ones and the public codes of current
    promotions aimed at them (or at everyone), each with ``remaining_uses`` (None: unlimited).
    Used-up and expired ones are left out. Two queries whatever the number of coupons."""
    at = at or timezone.now()
    current = Q(is_active=True, automatic=False) & (Q(valid_from__isnull=True) | Q(valid_from__lte=at))
    current &= Q(valid_to__isnull=True) | Q(valid_to__gt=at)
    targeted = promotions_with_targets(Promotion.objects.filter(current), customer_id=customer.pk)
    promotions = {p.pk: p for p in targeted}
    coupons = (
        Coupon.objects.filter(promotion_id__in=list(promotions))
        .filter(Q(customer=customer) | Q(customer__isnull=True))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))
        .order_by("expires_at", "pk")
    )
    usable = []
    for coupon in coupons:
        promotion = coupon.promotion = promotions[coupon.promotion_id]
        if coupon.customer_id is None and not _aimed_at(promotion, tier_code):
            continue
        if coupon_refusal(coupon, customer=customer, at=at) or coupon_used_up(coupon):
            continue
        coupon.remaining_uses = _remaining_uses(coupon)
        usable.append(coupon)
    return usable


def coupons_list_personal(*, customer, limit: int = 20) -> tuple[list[Coupon], int]:
    """The customer's personal coupons, newest first (used and expired too), with the total."""
    rows = Coupon.objects.filter(customer=customer).select_related("promotion", "given_by")
    return list(rows[:limit]), rows.count()


def coupon_redemptions_list_for_customer(*, customer, limit: int = 20) -> tuple[list[CouponRedemption], int]:
    """The customer's coupon redemptions, newest first, with the total."""
    rows = CouponRedemption.objects.filter(customer=customer).select_related("coupon", "promotion")
    return list(rows[:limit]), rows.count()
