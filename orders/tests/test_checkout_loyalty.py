"""Loyalty inside checkout: what the pricing engine priced is spent in order_place's transaction
(points, the coupon, a gift card, store credit), the order earns pending points, and cancelling
gives everything back; the same basket costs the same through every face."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from conftest import run_in_threads
from customers.models import Customer
from inventory.models import StockLevel
from loyalty.exceptions import CouponUsedUp, GiftCardInsufficient, InsufficientPoints
from loyalty.models import Coupon, CouponRedemption, EarningRule, GiftCard, LoyaltyAccount, PointsLot, Promotion
from loyalty.selectors.wallets import store_credit_balance
from loyalty.services.giftcards import giftcard_issue, giftcard_spend
from loyalty.services.points import points_adjust
from loyalty.services.store_credit import store_credit_grant
from omnishop.accounts.models import User
from omnishop.apikeys.services import apikey_create
from omnishop.money import money_display
from orders.models import Order
from orders.services import Contact, order_cancel, order_place
from orders.services.payments import order_payment_authorize
from orders.tests.conftest import ADDRESS, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def loyal(shop, superuser):
    """A customer with 1,000 spendable points and 50 zł of store credit, a 10% automatic promotion
    on the basket, a 20 zł single-use coupon, one point per złoty, and a 100 zł gift card."""
    user = User.objects.create_user(email="anna@example.pl", password="x-pass-123")
    customer = Customer.objects.create(first_name="Anna", last_name="Nowak", email="anna@example.pl", user=user)
    points_adjust(customer=customer, points=1000, reason="Welcome", actor=superuser)
    store_credit_grant(customer=customer, amount=Decimal("50.00"), currency="PLN", reason="Refund", actor=superuser)
    Promotion.objects.create(name="Dziesięć procent", kind="percent", value=Decimal("10"), automatic=True)
    coupon_promotion = Promotion.objects.create(name="Kupon 20 zł", kind="fixed", value=Decimal("20"))
    Coupon.objects.create(code="WIOSNA20", promotion=coupon_promotion, single_use=True)
    EarningRule.objects.create(name="1 pkt za 1 zł", kind="per_amount", points_per_unit=Decimal("1"))
    card, code = giftcard_issue(amount=Decimal("100.00"), currency="PLN", actor=superuser, reason="Goodwill")
    for variant in shop["variants"]:
        stock(variant, shop["warehouse"], 20)
    return shop | {"customer": customer, "user": user, "card": card, "code": code, "admin": superuser}


def place(loyal, **rewards) -> Order:
    a, b, _c = loyal["variants"]
    return order_place(
        channel=loyal["web"],
        lines={a.pk: 2, b.pk: 1},
        fulfilment_type="delivery",
        shipping_address=ADDRESS,
        customer=loyal["customer"],
        **rewards,
    )


def balance(customer) -> int:
    return LoyaltyAccount.objects.get(customer=customer).balance


def test_an_order_spends_points_coupon_and_gift_card_in_its_transaction_and_earns_pending_points(loyal, provider):
    order = place(loyal, coupon_code="wiosna20", points=500, gift_card_code=loyal["code"])
    # 2 x 100 + 101 = 301.00; 10% off: 30.10; the coupon: 20.00; 500 points at 0.01: 5.00.
    lines = list(order.lines.order_by("id"))
    assert order.subtotal == Decimal("301.00")
    assert sum(ln.discount for ln in lines) == order.discount_total == Decimal("55.10")
    assert order.total == order.subtotal - order.discount_total + order.shipping_total
    assert order.coupon_code == "WIOSNA20"
    assert order.points_redeemed == 500
    assert order.gift_card_total == Decimal("100.00")
    assert order.amount_due == order.total - Decimal("100.00")
    assert [p["name"] for p in order.pricing["promotions"]] == ["Dziesięć procent", "Kupon 20 zł"]
    # Spent: points, the coupon's single use, the gift card.
    assert balance(loyal["customer"]) == 500
    assert CouponRedemption.objects.get(reference=order.number).coupon.code == "WIOSNA20"
    loyal["card"].refresh_from_db()
    assert loyal["card"].balance == Decimal("0.00")
    # Earned on what the goods finally cost (the shipping never earns), pending.
    goods = sum(ln.line_total - ln.discount for ln in lines)
    assert order.points_earned == int(goods)
    account = LoyaltyAccount.objects.get(customer=loyal["customer"])
    assert account.pending == order.points_earned
    assert order.pricing["earning"][0]["points"] == order.points_earned
    # The provider is asked only for what the gift card did not pay.
    order_payment_authorize(order_id=order.pk)
    assert provider.calls[-1]["amount"] == order.amount_due


def test_cancelling_gives_back_what_the_order_spent_and_removes_what_it_earned(loyal, provider):
    order = place(loyal, coupon_code="WIOSNA20", points=300, gift_card_code=loyal["code"], store_credit=Decimal("0"))
    assert order.store_credit_total > 0 or order.gift_card_total == order.total
    order_cancel(order=order, role="agent", actor=loyal["admin"])
    account = LoyaltyAccount.objects.get(customer=loyal["customer"])
    assert (account.balance, account.pending) == (1000, 0)
    assert CouponRedemption.objects.get(reference=order.number).released_at is not None
    loyal["card"].refresh_from_db()
    assert loyal["card"].balance == Decimal("100.00")
    assert store_credit_balance(customer=loyal["customer"], currency="PLN") == Decimal("50.00")
    # The coupon can be used again.
    again = place(loyal, coupon_code="WIOSNA20")
    assert again.coupon_code == "WIOSNA20"


def test_an_order_paid_whole_by_gift_card_asks_no_provider_and_is_confirmed(loyal, provider, superuser):
    _card, code = giftcard_issue(amount=Decimal("1000.00"), currency="PLN", actor=superuser, reason="Big one")
    order = place(loyal, gift_card_code=code)
    assert order.amount_due == 0 and order.payment_status == Order.PaymentStatus.PAID
    order = order_payment_authorize(order_id=order.pk)
    assert order.status == Order.Status.CONFIRMED
    assert provider.calls == []
    order_cancel(order=order, role="agent", actor=superuser)
    assert provider.refunds == []  # nothing was charged: the card gets its money back instead
    assert GiftCard.objects.get(pk=_card.pk).balance == Decimal("1000.00")


def test_a_gift_card_is_priced_again_at_placement_for_what_is_left_on_it(loyal, provider):
    # The customer saw the price with the whole card; most of it was spent at a till meanwhile.
    giftcard_spend(
        code=loyal["code"], amount=Decimal("90.00"), currency="PLN", reference="TILL-1", channel_code="store"
    )
    order = place(loyal, gift_card_code=loyal["code"])
    assert order.gift_card_total == Decimal("10.00")
    loyal["card"].refresh_from_db()
    assert loyal["card"].balance == 0


def test_points_spent_between_pricing_and_placing_refuse_the_order_and_nothing_is_written(loyal, monkeypatch):
    import orders.services.checkout as checkout

    priced_then_spent = checkout.cart_price

    def stale_price(**kwargs):
        # Another till spends most of the points after this checkout priced its basket.
        priced = priced_then_spent(**kwargs)
        points_adjust(customer=loyal["customer"], points=-900, reason="Spent elsewhere", actor=loyal["admin"])
        return priced

    monkeypatch.setattr(checkout, "cart_price", stale_price)
    allocated = sum(StockLevel.objects.values_list("allocated", flat=True))
    with pytest.raises(InsufficientPoints):
        place(loyal, points=500)
    assert Order.objects.count() == 0
    assert sum(StockLevel.objects.values_list("allocated", flat=True)) == allocated
    assert balance(loyal["customer"]) == 100


def _spent_between_pricing_and_placing(monkeypatch, spend):
    import orders.services.checkout as checkout

    priced_then_spent = checkout.cart_price

    def stale_price(**kwargs):
        priced = priced_then_spent(**kwargs)
        spend()
        return priced

    monkeypatch.setattr(checkout, "cart_price", stale_price)


def _loyalty_written(loyal) -> tuple:
    account = LoyaltyAccount.objects.get(customer=loyal["customer"])
    coupon = Coupon.objects.get(code="WIOSNA20")
    return (
        account.balance,
        account.pending,
        PointsLot.objects.filter(account=account).count(),
        coupon.uses,
        coupon.promotion.uses,
        CouponRedemption.objects.count(),
        sum(StockLevel.objects.values_list("allocated", flat=True)),
    )


def test_a_coupon_used_up_after_the_points_were_redeemed_refuses_the_order_and_nothing_is_written(loyal, monkeypatch):
    # The services run without savepoints of their own in checkout: the refusal must still undo
    # the points already redeemed in the same transaction.
    def spend():
        CouponRedemption.objects.create(
            coupon=Coupon.objects.get(code="WIOSNA20"),
            promotion=Coupon.objects.get(code="WIOSNA20").promotion,
            reference="TILL-9",
            amount=Decimal("20.00"),
            currency="PLN",
            single_use=True,
        )
        Coupon.objects.filter(code="WIOSNA20").update(uses=1)

    before = _loyalty_written(loyal)
    _spent_between_pricing_and_placing(monkeypatch, spend)
    with pytest.raises(CouponUsedUp):
        place(loyal, coupon_code="WIOSNA20", points=500)
    assert Order.objects.count() == 0
    assert _loyalty_written(loyal)[:3] == before[:3]
    assert Coupon.objects.get(code="WIOSNA20").promotion.uses == 0
    assert CouponRedemption.objects.exclude(reference="TILL-9").count() == 0
    assert _loyalty_written(loyal)[-1] == before[-1]


def test_a_gift_card_spent_after_the_points_and_coupon_refuses_the_order_and_nothing_is_written(loyal, monkeypatch):
    def spend():
        giftcard_spend(
            code=loyal["code"], amount=Decimal("95.00"), currency="PLN", reference="TILL-2", channel_code="store"
        )

    before = _loyalty_written(loyal)
    _spent_between_pricing_and_placing(monkeypatch, spend)
    with pytest.raises(GiftCardInsufficient):
        place(loyal, coupon_code="WIOSNA20", points=500, gift_card_code=loyal["code"])
    assert Order.objects.count() == 0
    assert _loyalty_written(loyal) == before
    loyal["card"].refresh_from_db()
    assert loyal["card"].balance == Decimal("5.00")


def test_a_members_order_takes_no_savepoint_more_than_a_guests(loyal):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a, b, _c = loyal["variants"]

    def savepoints(**who) -> int:
        with CaptureQueriesContext(connection) as ctx:
            order_place(
                channel=loyal["web"],
                lines={a.pk: 1, b.pk: 1},
                fulfilment_type="delivery",
                shipping_address=ADDRESS,
                **who,
            )
        return sum(q["sql"].startswith("SAVEPOINT") for q in ctx.captured_queries)

    guest = savepoints(contact=Contact(email="x@example.pl"))
    member = savepoints(customer=loyal["customer"], coupon_code="WIOSNA20", points=100, gift_card_code=loyal["code"])
    assert member == guest
    assert Order.objects.filter(customer=loyal["customer"], points_redeemed=100, coupon_code="WIOSNA20").exists()


def test_a_members_pricing_reads_their_points_coupon_and_earning_rules_in_one_statement(loyal):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from loyalty.pricing import cart_price

    a, b, _c = loyal["variants"]

    def reads(**who) -> int:
        with CaptureQueriesContext(connection) as ctx:
            priced = cart_price(lines={a.pk: 2, b.pk: 1}, channel=loyal["web"], fulfilment_type="delivery", **who)
        return len(ctx.captured_queries), priced

    guest, _priced = reads(coupon_code="WIOSNA20")
    member, priced = reads(customer=loyal["customer"], coupon_code="WIOSNA20", points=100)
    # the list prices, then the coupon (a guest) or the member's points, coupon and rules, the promotions
    assert member == guest == 3
    assert priced.coupon_code == "WIOSNA20" and priced.points_redeemed == 100 and priced.points_to_earn > 0
    assert reads()[0] == 2 and reads(customer=loyal["customer"])[0] == 3


@pytest.mark.django_db(transaction=True)
def test_one_members_concurrent_orders_with_and_without_points_and_one_coupon_do_not_deadlock(shop, superuser):
    # Orders that redeem lock the points account before the coupon; orders that only earn must
    # take it in the same order (not after the coupon), or the two kinds deadlock.
    customer = Customer.objects.create(first_name="Ola", last_name="Lis", email="ola@example.pl")
    points_adjust(customer=customer, points=10_000, reason="Welcome", actor=superuser)
    EarningRule.objects.create(name="1 pkt za 1 zł", kind="per_amount", points_per_unit=Decimal("1"))
    promotion = Promotion.objects.create(name="Kupon 5%", kind="percent", value=Decimal("5"))
    coupon = Coupon.objects.create(code="WIELE", promotion=promotion, single_use=False)
    a, b, _c = shop["variants"]
    stock(a, shop["warehouse"], 100)
    stock(b, shop["warehouse"], 100)

    def attempt(i):
        return order_place(
            channel=shop["web"],
            lines={(a if i % 2 else b).pk: 1},  # other stock rows: only loyalty's locks meet
            fulfilment_type="delivery",
            shipping_address=ADDRESS,
            customer=customer,
            coupon_code="WIELE",
            points=100 if i % 2 else 0,
        ).points_redeemed

    results = run_in_threads(attempt, [(i,) for i in range(12)])
    assert not [r for r in results if isinstance(r, Exception)], results  # e.g. a deadlock detected
    assert sorted(results) == [0] * 6 + [100] * 6, results
    account = LoyaltyAccount.objects.get(customer=customer)
    assert account.balance == 10_000 - 600
    assert account.pending == sum(Order.objects.values_list("points_earned", flat=True)) > 0
    coupon.refresh_from_db()
    promotion.refresh_from_db()
    assert coupon.uses == promotion.uses == 12


@pytest.mark.django_db(transaction=True)
def test_one_single_use_coupon_in_concurrent_checkouts_from_web_app_and_till_places_one_order_with_it(shop, superuser):
    promotion = Promotion.objects.create(name="Kupon 20 zł", kind="fixed", value=Decimal("20"))
    Coupon.objects.create(code="JEDEN", promotion=promotion, single_use=True)
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 100)
    channels = [shop["web"], shop["app"], shop["call"]] * 4

    def attempt(channel):
        try:
            return order_place(
                channel=channel,
                lines={a.pk: 1},
                fulfilment_type="delivery",
                shipping_address=ADDRESS,
                contact=Contact(email="x@example.pl"),
                coupon_code="JEDEN",
            ).number
        except CouponUsedUp:
            return "used up"

    results = run_in_threads(attempt, [(c,) for c in channels])
    placed = [r for r in results if r != "used up"]
    assert len(placed) == 1
    assert CouponRedemption.objects.filter(coupon__code="JEDEN", released_at__isnull=True).count() == 1
    # The refused checkouts left no order and no allocation behind.
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=a, location=shop["warehouse"]).allocated == 1


@pytest.mark.django_db(transaction=True)
def test_one_gift_card_spent_by_concurrent_orders_never_goes_negative(shop, superuser):
    card, code = giftcard_issue(amount=Decimal("250.00"), currency="PLN", actor=superuser, reason="Test")
    a = shop["variants"][0]  # 100 zł a pair: two orders take the card's 250, a third only 50
    stock(a, shop["warehouse"], 100)

    def attempt(_i):
        try:
            order = order_place(
                channel=shop["web"],
                lines={a.pk: 1},
                fulfilment_type="click_and_collect",
                pickup_location=shop["waw"],
                contact=Contact(email="x@example.pl"),
                gift_card_code=code,
            )
            return order.gift_card_total
        except GiftCardInsufficient:
            return None

    results = run_in_threads(attempt, [(i,) for i in range(8)])
    card.refresh_from_db()
    assert card.balance >= 0
    spent = sum((r for r in results if r is not None), Decimal("0"))
    # Each order spends what it was priced at, or is refused: the card never pays more than it holds.
    assert spent + card.balance == Decimal("250.00") and spent >= Decimal("200.00")
    assert sum(card.entries.values_list("amount", flat=True)) == card.balance


# -- the same basket through every face ------------------------------------------------------
def test_the_same_cart_costs_the_same_on_the_web_the_app_the_till_and_the_call_centre(
    loyal, api_client, client, django_user_model
):
    a, b, _c = loyal["variants"]
    customer, user = loyal["customer"], loyal["user"]
    rewards = {"coupon_code": "WIOSNA20", "points": 250}

    api_client.force_authenticate(user)
    api_client.put("/api/v1/cart/lines/", {"sku": a.sku, "quantity": 2}, format="json")
    api_client.put("/api/v1/cart/lines/", {"sku": b.sku, "quantity": 1}, format="json")
    web = api_client.post("/api/v1/cart/price/", rewards, format="json")
    app = api_client.post("/api/v1/cart/price/", rewards, format="json", HTTP_X_CHANNEL="app")
    assert web.status_code == 200, web.json()

    customer.identities.create(kind="loyalty_card", value="OS-555")
    key = apikey_create(channel=loyal["pos"], name="POS", scopes=["pos:write"])[1]
    till = APIClient().post(
        "/api/v1/pos/price/",
        {
            "lines": [{"sku": a.sku, "quantity": 2}, {"sku": b.sku, "quantity": 1}],
            "customer": {"kind": "loyalty_card", "value": "OS-555"},
            **rewards,
        },
        format="json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert till.status_code == 200, till.json()

    agent = django_user_model.objects.create_user(email="agent@example.pl", password="x-pass-123", is_staff=True)
    agent.groups.add(Group.objects.get(name="Customer service agent"))
    client.force_login(agent)
    preview = client.post(
        reverse("admin:orders_order_place"),
        {
            "step": "preview",
            "customer": customer.pk,
            "channel": loyal["call"].pk,
            "lines": f"{a.sku} 2\n{b.sku} 1",
            "fulfilment_type": "click_and_collect",
            "pickup_store": loyal["waw"].pk,
            "payment_method": "card",
            "coupon_code": "WIOSNA20",
            "points": "250",
            "idempotency_key": "k1",
        },
    )
    assert preview.status_code == 200 and preview.context["preview"], preview.context["form"].errors

    def figures(body):
        return (
            body["subtotal"]["amount"],
            body["discount_total"]["amount"],
            body["total"]["amount"],
            [(ln["sku"], ln["discount"]["amount"]) for ln in body["lines"]],
            body["points_redeemed"],
            body["points_to_earn"],
        )

    assert figures(web.json()) == figures(app.json()) == figures(till.json())
    body = web.json()
    assert body["coupon_code"] == "WIOSNA20" and body["points_redeemed"] == 250
    assert sum(Decimal(ln["discount"]["amount"]) for ln in body["lines"]) == Decimal(body["discount_total"]["amount"])
    shown = preview.context["preview"]
    assert [ln["sku"] for ln in shown["lines"]] == [ln["sku"] for ln in body["lines"]]
    assert shown["points_redeemed"] == 250 and shown["points_to_earn"] == body["points_to_earn"]
    assert shown["total"] == money_display(Decimal(body["total"]["amount"]), "PLN")


def test_a_till_sale_books_the_coupon_points_and_gift_card_and_earns_for_the_customer(loyal, api_client):
    from django.utils import timezone

    a = loyal["variants"][0]
    loyal["customer"].identities.create(kind="loyalty_card", value="OS-777")
    key = apikey_create(channel=loyal["pos"], name="POS", scopes=["pos:write"])[1]
    stock(a, loyal["lodz"], 5)
    response = api_client.post(
        "/api/v1/pos/sales/",
        {
            "store": "lodz",
            "receipt_number": "K1-1",
            "sold_at": timezone.now().isoformat(),
            "lines": [{"sku": a.sku, "quantity": 1, "unit_price": "70.00"}],
            "payments": [
                {"method": "gift_card", "amount": "50.00", "code": loyal["code"]},
                {"method": "card", "amount": "20.00"},
            ],
            "customer": {"kind": "loyalty_card", "value": "OS-777"},
            "coupon_code": "WIOSNA20",
            "points": 100,
        },
        format="json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert response.status_code == 201, response.json()
    order = Order.objects.get(number=response.json()["number"])
    assert (order.coupon_code, order.points_redeemed, order.gift_card_total) == ("WIOSNA20", 100, Decimal("50.00"))
    loyal["card"].refresh_from_db()
    assert loyal["card"].balance == Decimal("50.00")
    assert balance(loyal["customer"]) == 900
    assert order.points_earned == 70  # on what the till charged
    assert PointsLot.objects.filter(account__customer=loyal["customer"], reference=order.number).exists()
    assert response.json()["points_earned"] == 70
