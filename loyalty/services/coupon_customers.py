"""Coupons' part of customer merge and of the person's data rights (registered in
``loyalty.wiring.promotions``)."""

from django.db.models import Q

from ..models import Coupon, CouponRedemption, Promotion


def coupons_move(*, survivor, duplicate, actor=None) -> int:
    """The duplicate's personal coupons and redemptions become the survivor's, and so do its
    places in promotions' target lists. Returns how many rows moved."""
    moved = Coupon.objects.filter(customer=duplicate).update(customer=survivor)
    moved += CouponRedemption.objects.filter(customer=duplicate).update(customer=survivor)
    through = Promotion.target_customers.through
    already = through.objects.filter(customer_id=survivor.pk).values("promotion_id")
    moved += (
        through.objects.filter(customer_id=duplicate.pk)
        .exclude(promotion_id__in=already)
        .update(customer_id=survivor.pk)
    )
    through.objects.filter(customer_id=duplicate.pk).delete()
    return moved


def coupons_export(customer) -> dict:
    """The customer's personal coupons and every coupon they used."""
    coupons = Coupon.objects.filter(customer=customer).select_related("promotion").order_by("created_at", "id")
    redemptions = (
        CouponRedemption.objects.filter(customer=customer).select_related("coupon").order_by("created_at", "id")
    )
    return {
        "coupons": [
            {
                "code": c.code,
                "promotion": c.promotion.name,
                "uses": c.uses,
                "expires_at": c.expires_at.isoformat() if c.expires_at else None,
                "reason": c.reason,
            }
            for c in coupons
        ],
        "coupon_redemptions": [
            {
                "code": r.coupon.code,
                "order": r.reference,
                "amount": f"{r.amount:.2f}",
                "currency": r.currency,
                "redeemed_at": r.created_at.isoformat(),
                "released_at": r.released_at.isoformat() if r.released_at else None,
            }
            for r in redemptions
        ],
    }


def coupons_erase(*, customer, actor=None) -> int:
    """An agent's reason may name the person: blanked. Codes, uses and amounts stay (accounting)."""
    count = Coupon.objects.filter(Q(customer=customer) & ~Q(reason="")).update(reason="")
    Promotion.target_customers.through.objects.filter(customer_id=customer.pk).delete()
    return count
