"""Thin Celery tasks of loyalty: load by id, call a service."""

from celery import shared_task

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
