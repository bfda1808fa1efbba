from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Consent, ConsentPurpose
from loyalty.services.giftcard_notices import GIFT_CARD_EXPIRING, giftcard_expiry_notices_send
from loyalty.services.giftcards import giftcard_spend
from omnishop.notifications.models import Notification
from omnishop.notifications.rendering import message_render

from .wallet_helpers import card, customer

pytestmark = pytest.mark.django_db


def _consent(who, granted=True):
    Consent.objects.create(
        customer=who,
        purpose=ConsentPurpose.MARKETING_EMAIL,
        granted=granted,
        text_version="1",
        updated_at=timezone.now(),
    )


def test_notice_goes_once_and_only_to_owners_who_consented(settings, django_capture_on_commit_callbacks):
    settings.OMNISHOP_GIFT_CARD_EXPIRY_NOTICE_DAYS = 14
    soon = timezone.now() + timedelta(days=10)
    yes, no, withdrawn = customer(), customer("no@example.pl"), customer("wd@example.pl")
    _consent(yes)
    _consent(withdrawn, granted=False)
    told, _c = card("40.00", customer=yes, expires_at=soon)
    card("40.00", customer=no, expires_at=soon)
    card("40.00", customer=withdrawn, expires_at=soon)
    card("40.00", expires_at=soon)  # nobody's
    card("40.00", customer=yes, expires_at=timezone.now() + timedelta(days=60))  # not yet
    _empty, code = card("5.00", customer=yes, expires_at=soon)
    giftcard_spend(code=code, amount=Decimal("5.00"), currency="PLN", reference="OS-1", channel_code="web")
    with django_capture_on_commit_callbacks(execute=False):
        assert giftcard_expiry_notices_send() == 1
        assert giftcard_expiry_notices_send() == 0
    (notice,) = Notification.objects.filter(template=GIFT_CARD_EXPIRING)
    assert notice.customer == yes and notice.recipient == yes.email
    assert notice.context["code_last4"] == told.last4 and told.code not in str(notice.context)
    told.refresh_from_db()
    assert told.expiry_notice_sent_at is not None


def test_notice_renders():
    who = customer()
    _consent(who)
    told, _c = card("40.00", customer=who, expires_at=timezone.now() + timedelta(days=3))
    giftcard_expiry_notices_send()
    rendered = message_render(Notification.objects.get(template=GIFT_CARD_EXPIRING))
    # In the customer's language (Polish, the default): the card's last four, its deadline, and the
    # footer of a message sent by consent, not the one about an order.
    assert told.last4 in rendered.text and told.last4 in rendered.html and "traci ważność" in rendered.subject
    assert "zamówieni" not in rendered.html and "zgody na kontakt" in rendered.html
