"""Thin Celery tasks of loyalty: each calls one service."""

from celery import shared_task

# --- points ---------------------------------------------------------------------------------


@shared_task
def points_release_due() -> int:
    from .services.points import points_release_due as run

    return run()


@shared_task
def points_expire_due() -> int:
    from .services.points import points_expire_due as run

    return run()


@shared_task
def points_expiry_notices_send() -> int:
    from .services.points_customer import points_expiry_notices_send as run

    return run()


@shared_task
def tiers_evaluate() -> int:
    from .services.tiers import tiers_evaluate as run

    return run()


# --- wallets (gift cards, store credit) -------------------------------------------------------


@shared_task
def giftcards_expire_due() -> int:
    """Beat: expire the gift cards past their expiry (their balance lapses)."""
    from .services.giftcards import giftcards_expire_due

    return giftcards_expire_due()


@shared_task
def giftcard_expiry_notices_send() -> int:
    """Beat: tell consenting owners, once, that their gift card expires soon."""
    from .services.giftcard_notices import giftcard_expiry_notices_send

    return giftcard_expiry_notices_send()
