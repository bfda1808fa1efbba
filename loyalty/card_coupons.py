"""Promotions' section of the customer's 360° card (registered in ``loyalty.wiring.promotions``):
the customer's personal coupons and coupon redemptions, and the agent's "give a personal coupon"
(``loyalty.give_coupon``, a reason required). Five queries whatever the number of rows."""

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.card import CardAction, CardSection, card_section_register

from .exceptions import CouponGiveRefused
from .models import Promotion
from .selectors.coupons import coupon_redemptions_list_for_customer, coupons_list_personal
from .services.coupons import coupon_give

ROWS_SHOWN = 10


def _givable_promotions():
    now = timezone.now()
    return list(
        Promotion.objects.filter(is_active=True, automatic=False)
        .exclude(valid_to__lte=now)
        .only("pk", "name")
        .order_by("name")[:100]
    )


def _coupons(customer, request: HttpRequest) -> dict:
    coupons, coupons_total = coupons_list_personal(customer=customer, limit=ROWS_SHOWN)
    redemptions, redemptions_total = coupon_redemptions_list_for_customer(customer=customer, limit=ROWS_SHOWN)
    return {
        "coupons": coupons,
        "coupons_total": coupons_total,
        "redemptions": redemptions,
        "redemptions_total": redemptions_total,
        "promotions": _givable_promotions() if request.user.has_perm("loyalty.give_coupon") else [],
    }


def _give(customer, request: HttpRequest) -> str:
    promotion = Promotion.objects.filter(pk=request.POST.get("promotion") or 0).first()
    if promotion is None:
        raise CouponGiveRefused(_("Choose a promotion."), errors={"promotion": [_("Choose a promotion.")]})
    coupon = coupon_give(
        customer=customer, promotion=promotion, reason=request.POST.get("reason", ""), actor=request.user
    )
    return _("Personal coupon %(code)s given.") % {"code": coupon.code}


def card_sections_register() -> None:
    card_section_register(
        CardSection(
            name="coupons",
            title=gettext_lazy("Coupons"),
            order=45,
            context=_coupons,
            template="admin/loyalty/card/coupons.html",
            wide=True,
            permission="loyalty.view_coupon",
            actions=(
                CardAction("give", gettext_lazy("Give a personal coupon"), _give, permission="loyalty.give_coupon"),
            ),
        )
    )
