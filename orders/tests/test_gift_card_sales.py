"""A gift card sold as a product: one card per unit, issued when the order is paid (by the
provider, at placement when nothing is left to pay, or at the till), its code sent to the buyer at
send time and never kept; a cancelled order's cards stop working."""

from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.services import listing_publish, price_set
from catalog.tests.factories import ProductFactory, VariantFactory
from customers.models import Customer
from loyalty.models import GiftCard
from loyalty.services.giftcards import giftcard_issue
from omnishop.notifications.models import Notification
from omnishop.notifications.registry import secret_get, template_get
from omnishop.notifications.rendering import message_render
from orders.services import order_cancel, order_place
from orders.services.payments import order_payment_authorize
from orders.tests.conftest import ADDRESS, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def gift(shop):
    product = ProductFactory(name="Karta podarunkowa 100 zł", is_gift_card=True)
    variant = VariantFactory(product=product)
    price_set(variant=variant, amount=Decimal("100.00"))
    for channel in ("web", "app", "pos"):
        listing_publish(product=product, channel=shop[channel])
    stock(variant, shop["warehouse"], 50)
    stock(variant, shop["lodz"], 5)
    customer = Customer.objects.create(first_name="Ewa", last_name="Lis", email="ewa@example.pl")
    return shop | {"card_variant": variant, "customer": customer}


def place(gift, **extra):
    return order_place(
        channel=gift["web"],
        lines={gift["card_variant"].pk: 2},
        fulfilment_type="delivery",
        shipping_address=ADDRESS,
        customer=gift["customer"],
        **extra,
    )


def test_cards_are_issued_when_the_payment_is_taken_and_their_codes_reach_the_buyer_only_at_send_time(gift, provider):
    order = place(gift)
    assert not GiftCard.objects.filter(reference=order.number).exists()  # not paid yet
    order_payment_authorize(order_id=order.pk)
    cards = list(GiftCard.objects.filter(reference=order.number).order_by("pk"))
    assert [(c.initial_amount, c.balance, c.customer_id, c.status) for c in cards] == [
        (Decimal("100.00"), Decimal("100.00"), gift["customer"].pk, GiftCard.Status.ACTIVE)
    ] * 2
    notice = Notification.objects.get(template="gift_cards_issued", order_reference=order.number)
    codes = secret_get(template_get("gift_cards_issued").secret, order.number)
    assert len(codes.splitlines()) == 2
    for code in codes.splitlines():
        assert code.replace("-", "") not in str(notice.context) and code not in str(notice.context)
    rendered = message_render(notice, secret=codes)
    assert all(code in rendered.text for code in codes.splitlines())
    # Authorising again (a retried task) issues nothing more.
    order_payment_authorize(order_id=order.pk)
    assert GiftCard.objects.filter(reference=order.number).count() == 2


def test_a_cancelled_order_s_cards_stop_working(gift, provider, superuser):
    order = place(gift)
    order_payment_authorize(order_id=order.pk)
    order_cancel(order=order, role="agent", actor=superuser)
    assert set(GiftCard.objects.filter(reference=order.number).values_list("status", "balance")) == {
        (GiftCard.Status.BLOCKED, Decimal("0.00"))
    }
    # Nothing to send any more: the codes no longer exist for the notice.
    assert secret_get("gift_card_codes", order.number) is None


def test_an_order_paid_whole_by_another_gift_card_issues_its_cards_at_placement(gift, provider, superuser):
    _card, code = giftcard_issue(amount=Decimal("500.00"), currency="PLN", actor=superuser, reason="Nagroda")
    order = place(gift, gift_card_code=code)
    assert order.amount_due == 0
    assert GiftCard.objects.filter(reference=order.number).count() == 2


def test_a_gift_card_sold_at_the_till_is_issued_at_once(gift, api_client):
    from omnishop.apikeys.services import apikey_create

    key = apikey_create(channel=gift["pos"], name="POS", scopes=["pos:write"])[1]
    response = api_client.post(
        "/api/v1/pos/sales/",
        {
            "store": "lodz",
            "receipt_number": "K9-1",
            "sold_at": timezone.now().isoformat(),
            "lines": [{"sku": gift["card_variant"].sku, "quantity": 1, "unit_price": "100.00"}],
            "payments": [{"method": "cash", "amount": "100.00"}],
        },
        format="json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert response.status_code == 201, response.json()
    assert GiftCard.objects.filter(reference=response.json()["number"], status="active").count() == 1
