"""The notice a gift card's owner gets before it expires. It is sent only to owners who agreed
to marketing e-mails (``ConsentPurpose.MARKETING_EMAIL``): a card that nobody registered, or an
owner without that consent, gets nothing; it is sent once per card, by e-mail."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy

from customers.models import Consent, ConsentPurpose
from omnishop.notifications.registry import Kind, NotificationTemplate, template_register
from omnishop.notifications.services import notification_send

from ..lock_objects import gift_cards_lock
from ..models import GiftCard

GIFT_CARD_EXPIRING = "gift_card_expiring"


def giftcard_notices_register() -> None:
    template_register(
        NotificationTemplate(key=GIFT_CARD_EXPIRING, kind=Kind.PROMOTIONAL, label=gettext_lazy("Gift card expiring"))
    )


def _due(now):
    consented = Consent.objects.filter(
        customer_id=OuterRef("customer_id"), purpose=ConsentPurpose.MARKETING_EMAIL, granted=True
    )
    return (
        GiftCard.objects.filter(
            status=GiftCard.Status.ACTIVE,
            balance__gt=0,
            customer__isnull=False,
            expiry_notice_sent_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=settings.OMNISHOP_GIFT_CARD_EXPIRY_NOTICE_DAYS),
        )
        .filter(Exists(consented))
        .order_by("pk")
    )


def giftcard_expiry_notices_send(*, now=None) -> int:
    """Tell the consenting owner of every active card with money on it that expires within
    ``OMNISHOP_GIFT_CARD_EXPIRY_NOTICE_DAYS``; each card once. Returns how many were told."""
    now = now or timezone.now()
    sent = 0
    for card_id in list(_due(now).values_list("pk", flat=True)):
        with transaction.atomic():
            locked = gift_cards_lock(ids=[card_id])
            card = _due(now).select_related("customer").filter(pk=card_id).first() if locked else None
            if card is None:
                continue
            customer = card.customer
            notification_send(
                template=GIFT_CARD_EXPIRING,
                language=customer.language,
                customer=customer,
                email=customer.email,
                preferred_channel="email",
                consented=True,
                context={
                    "code_last4": card.last4,
                    "balance": str(card.balance),
                    "currency": card.currency,
                    "expires_at": card.expires_at.isoformat(),
                },
            )
            GiftCard.objects.filter(pk=card.pk).update(expiry_notice_sent_at=now)
            sent += 1
    return sent
