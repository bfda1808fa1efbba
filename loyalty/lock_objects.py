"""Row locks of loyalty, all taken here, always in one order so two transactions that touch the
same rows queue instead of deadlocking:

1. loyalty accounts (by id), 2. promotions (by id), then coupons (by id), 3. gift cards (by id),
4. store-credit accounts (by id).

Checkout takes them after the stock rows (inventory's order), so an order's whole lock set is
always stock → points → coupons → gift cards → store credit.
"""

from .models.wallets import GiftCard, StoreCreditAccount

# --- promotions and coupons (step 2: the promotion, then its coupon) -------------------------


def promotion_lock(*, promotion_id: int):
    """The promotion row, locked (step 2 of the order above); None when it does not exist."""
    from .models import Promotion

    return next(iter(Promotion.objects.select_for_update(of=("self",)).filter(pk=promotion_id)), None)


def coupon_with_promotion_lock(*, code: str):
    """The coupon of the normalised ``code`` with its promotion (``coupon.promotion``), both
    locked in one statement: PostgreSQL locks the rows in the order ``FOR UPDATE OF`` names them,
    the promotion's then the coupon's (step 2; ``test_coupons_concurrency`` checks it). None when
    no coupon has the code (codes are unique whatever their case)."""
    from django.db.models.functions import Upper

    from .models import Coupon

    found = Coupon.objects.annotate(code_upper=Upper("code")).filter(code_upper=code).select_related("promotion")
    return next(iter(found.select_for_update(of=("promotion", "self")).order_by()), None)


def coupons_lock(*, ids) -> list:
    """The coupons of ``ids``, locked by id (after their promotions), evaluated."""
    from .models import Coupon

    return list(Coupon.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))


# --- 1. loyalty accounts (points) ----------------------------------------------------------


def loyalty_account_lock_for_customer(*, customer_id: int):
    """The customer's loyalty account, locked (step 1); None when they have none yet."""
    from .models import LoyaltyAccount

    return LoyaltyAccount.objects.select_for_update().filter(customer_id=customer_id).first()


def loyalty_accounts_lock(*, ids) -> dict:
    """Lock the loyalty accounts ``ids`` (in id order); returns them by id. Their lots are only
    changed by whoever holds the account, so the account lock covers them."""
    from .models import LoyaltyAccount

    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = list(LoyaltyAccount.objects.select_for_update().filter(pk__in=wanted).order_by("pk"))
    return {row.pk: row for row in rows}


# --- wallets: 3. gift cards, 4. store-credit accounts -------------------------------------------


def gift_cards_lock(*, ids) -> list[GiftCard]:
    """Lock gift cards (3.) by id, in id order; returns them in that order."""
    return list(GiftCard.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk"))


def gift_card_lock_by_code(*, code: str) -> GiftCard | None:
    """Lock one gift card (3.) by its normalised code; None when there is none."""
    return GiftCard.objects.select_for_update().filter(code=code).first()


def store_credit_accounts_lock(*, ids) -> list[StoreCreditAccount]:
    """Lock store-credit accounts (4.) by id, in id order."""
    return list(StoreCreditAccount.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk"))


def store_credit_account_lock(*, customer_id: int, currency: str) -> StoreCreditAccount | None:
    """Lock a customer's store-credit account (4.) in ``currency``; None when there is none."""
    return StoreCreditAccount.objects.select_for_update().filter(customer_id=customer_id, currency=currency).first()
