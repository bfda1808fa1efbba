"""The demo's loyalty scheme: tiers, earning rules, promotions and coupons (master data, created
with the ORM as the admin would: loyalty has no service for them), then the main demo customer's
points, coupons, gift cards and store credit, written through loyalty's services and the checkout.

Idempotent like the rest of the seed: master data is keyed by its natural key (tier code, rule and
promotion name, coupon code, product slug), each step of the customer's history by what it leaves
behind (a lot's or card's reference, an entry's reason, an order's idempotency key), so a second
run creates nothing. Runs after the demo orders, which therefore earned nothing at checkout: their
points are booked here, as if the scheme had run since they were placed.
"""

import contextlib
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Brand, Category, Channel, ChannelListing, Price, Product, Variant
from catalog.services import PriceRow, prices_import
from catalog.validators import gtin_check_digit
from customers.models import Customer
from inventory.models import Location, StockLevel, StockMovement
from inventory.services import StockChange, stock_changes_apply
from loyalty.models import (
    Coupon,
    EarningRule,
    GiftCard,
    LoyaltyAccount,
    PointsEntry,
    PointsLot,
    Promotion,
    StoreCreditEntry,
    Tier,
)
from loyalty.services.coupons import coupon_give, coupons_generate
from loyalty.services.giftcards import giftcard_issue
from loyalty.services.points import points_adjust, points_earn, points_release_due
from loyalty.services.store_credit import store_credit_grant
from omnishop.exceptions import DomainError
from orders.models import Order
from orders.services import order_payment_authorize, order_place

from . import data

PUBLIC_COUPON = "WITAJ20"
CAMPAIGN_PREFIX = "ZIMA-"
CAMPAIGN_CODES = 5
# (code, name, threshold, multiplier, benefits)
TIERS = [
    ("brazowy", "Brązowy", 0, "1.00", "1 pkt za każde wydane 1 zł. Kupony urodzinowe i oferty w newsletterze."),
    (
        "srebrny",
        "Srebrny",
        1000,
        "1.25",
        "Punkty x1,25. Darmowa dostawa od 149 zł, 30 dni na zwrot zamiast 14, wcześniejszy dostęp do wyprzedaży.",
    ),
    (
        "zloty",
        "Złoty",
        3000,
        "1.50",
        "Punkty x1,5. Darmowa dostawa zawsze, 60 dni na zwrot, dedykowana infolinia i zaproszenia na premiery.",
    ),
]
RUNNING_CAMPAIGN = "Podwójne punkty na buty do biegania"
# What the demo customer's history is keyed by (see the module docstring).
OLD_RECEIPT = "PAR/WAW-ARKADIA/2025/04127"  # a store purchase from before the web shop's orders
SOLD_CARD_RECEIPT = "PAR/KRK-GALERIA/2026/01188"  # the gift card the customer bought in a store
LOYALTY_ORDER_KEY = "demo-loyalty:1"
GOODWILL_REASON = "Rekompensata za opóźnioną dostawę (zgłoszenie telefoniczne)."
COUPON_REASON = "Przeprosiny za uszkodzoną paczkę: rabat na kolejne zakupy."
AGENT_CARD_REASON = "Nagroda w konkursie na Instagramie KROK."
STORE_CREDIT_REASON = "Zwrot różnicy w cenie po obniżce (reklamacja nr 2026/311)."
STORE_CREDIT_REFERENCE = "ZW/2026/311"
GIFT_CARD_SLUG = "karta-podarunkowa-100-zl"
GIFT_CARD_SKU = "KROK-KARTA-100"
GIFT_CARD_EAN = "590772000100"  # outside the range of the catalogue's EANs (590771...)


def demo_customer() -> Customer | None:
    """The main demo customer: the first customer with a login (the one the summary names)."""
    from .seed import customer_rows  # seed imports this module

    row = next((r for r in customer_rows(1) if r.with_login), None)
    return Customer.objects.filter(email=row.email).first() if row else None


def seed_tiers(report) -> None:
    existing = set(Tier.objects.values_list("code", flat=True))
    for code, name, threshold, multiplier, benefits in TIERS:
        if code not in existing:
            Tier.objects.create(
                code=code, name=name, threshold=threshold, multiplier=Decimal(multiplier), benefits=benefits
            )
            report.add("tiers", 1)


def _categories(*slugs: str) -> list[int]:
    return list(Category.objects.filter(slug__in=slugs).values_list("id", flat=True))


def seed_earning_rules(report, *, now) -> None:
    """1 pt per złoty, x2 in the app, 200 pts for the first app order, and a running-shoes
    campaign for four weeks around today. Gift cards earn nothing (the engine excludes them);
    the demo catalogue has no outlet category, so there is no exclusion rule."""
    rules = [
        {"name": "1 pkt za każde 1 zł", "kind": "per_amount", "priority": 10, "points_per_unit": 1},
        {
            "name": "Punkty x2 w aplikacji",
            "kind": "multiplier",
            "priority": 20,
            "multiplier": 2,
            "channel_kinds": ["app"],
        },
        {
            "name": RUNNING_CAMPAIGN,
            "kind": "multiplier",
            "priority": 30,
            "multiplier": 2,
            "category_ids": _categories("buty-do-biegania"),
            "valid_from": now - timedelta(days=7),
            "valid_to": now + timedelta(days=21),
        },
        {
            "name": "200 pkt za pierwsze zamówienie w aplikacji",
            "kind": "bonus",
            "priority": 40,
            "bonus_points": 200,
            "first_app_order": True,
            "channel_kinds": ["app"],
        },
    ]  # fmt: skip
    existing = set(EarningRule.objects.values_list("name", flat=True))
    for fields in rules:
        if fields["name"] not in existing:
            EarningRule.objects.create(**fields)
            report.add("earning_rules", 1)


def _promotion(report, name: str, *, categories=(), channels=(), **fields) -> Promotion:
    promotion = Promotion.objects.filter(name=name).first()
    if promotion is None:
        with transaction.atomic():
            promotion = Promotion.objects.create(name=name, currency="PLN", **fields)
            if categories:
                promotion.categories.set(_categories(*categories))
            if channels:
                promotion.channels.set(Channel.objects.filter(code__in=channels))
        report.add("promotions", 1)
    return promotion


def seed_promotions(report) -> dict[str, Promotion]:
    """Two automatic promotions, a public welcome code, one for agents to give, one campaign."""
    _promotion(
        report, "-15% na kurtki", kind="percent", value=Decimal("15"), scope="categories", categories=["kurtki"],
        automatic=True, description="Wszystkie kurtki 15% taniej, bez kodu.",
    )  # fmt: skip
    _promotion(
        report, "Skarpety 3 za 2", kind="buy_x_get_y", scope="categories", categories=["skarpety"],
        buy_quantity=2, get_quantity=1, cheapest_free=True, automatic=True,
        description="Przy trzech parach skarpet najtańsza gratis.",
    )  # fmt: skip
    welcome = _promotion(
        report, "Witaj w KROK: 20 zł na start", kind="fixed", value=Decimal("20"),
        min_basket_amount=Decimal("200"), channels=["web", "app"], max_uses_per_customer=1,
        description="20 zł rabatu przy zakupach od 200 zł w sklepie internetowym i w aplikacji.",
    )  # fmt: skip
    apology = _promotion(
        report, "Rabat od Biura Obsługi Klienta: 30 zł", kind="fixed", value=Decimal("30"),
        min_basket_amount=Decimal("100"), description="Kod osobisty, jednorazowy, dawany przez konsultantów.",
    )  # fmt: skip
    campaign = _promotion(
        report, "Zimowy newsletter: -10%", kind="percent", value=Decimal("10"),
        valid_to=timezone.now() + timedelta(days=45), description="Jednorazowe kody z newslettera.",
    )  # fmt: skip
    if not Coupon.objects.filter(code__iexact=PUBLIC_COUPON).exists():
        Coupon.objects.create(code=PUBLIC_COUPON, promotion=welcome)
        report.add("coupons", 1)
    if not campaign.coupons.exists():
        merchandiser = get_user_model().objects.filter(email="merch@omnishop.demo").first()
        coupons_generate(promotion=campaign, count=CAMPAIGN_CODES, prefix=CAMPAIGN_PREFIX, actor=merchandiser)
        report.add("coupons", CAMPAIGN_CODES)
    return {"apology": apology}


def seed_gift_card_product(report) -> None:
    """'Karta podarunkowa 100 zł' on the web and in the app (selling it issues a card)."""
    if Product.objects.filter(slug=GIFT_CARD_SLUG).exists():
        return
    with transaction.atomic():
        product = Product.objects.create(
            name="Karta podarunkowa 100 zł",
            slug=GIFT_CARD_SLUG,
            description=(
                f"Elektroniczna karta podarunkowa {data.RETAILER} o wartości 100 zł, ważna rok. "
                "Do wykorzystania w sklepie internetowym, w aplikacji i w salonach."
            ),
            brand=Brand.objects.filter(name=data.RETAILER).first(),
            category=Category.objects.filter(slug="akcesoria").first(),
            is_gift_card=True,
        )
        variant = Variant(product=product, sku=GIFT_CARD_SKU, ean=GIFT_CARD_EAN + str(gtin_check_digit(GIFT_CARD_EAN)))
        variant.full_clean()
        variant.save()
        prices_import(
            rows=[PriceRow(variant_id=variant.pk, currency="PLN", amount=Decimal("100.00"))], reason="demo data"
        )
        now = timezone.now()
        for channel in Channel.objects.filter(code__in=["web", "app"]):
            ChannelListing.objects.create(product=product, channel=channel, published_from=now)
    # Cards in the warehouses, so the product can be ordered (and the stock step leaves it be).
    warehouses = Location.objects.filter(kind=Location.Kind.WAREHOUSE).values_list("pk", flat=True)
    stock_changes_apply(
        changes=[
            StockChange(
                variant_id=variant.pk,
                location_id=location_id,
                kind=StockMovement.Kind.RECEIPT,
                quantity=500,
                idempotency_key=f"demo-stock:{variant.pk}:{location_id}",
            )
            for location_id in warehouses
        ],
        reference="demo stock",
    )
    report.add("products", 1)


def _earn_on_orders(customer, *, now) -> None:
    """The customer's demo orders earn 1 pt per złoty of goods, booked when each was placed:
    spendable once its return window closed (older orders), pending for the recent ones."""
    booked = set(PointsLot.objects.filter(account__customer=customer).values_list("reference", flat=True))
    orders = Order.objects.filter(customer=customer, points_earned=0).exclude(status="cancelled").order_by("created_at")
    for order in orders.exclude(number__in=booked).exclude(idempotency_key=LOYALTY_ORDER_KEY):
        points = int(order.total - order.shipping_total)
        explanation = [{"rule": "1 pkt za każde 1 zł", "kind": "per_amount", "points": points}]
        points_earn(
            customer=customer, points=points, reference=order.number, channel_code=order.channel.code,
            explanation=explanation, release_at=order.created_at + timedelta(days=30), now=order.created_at,
        )  # fmt: skip
        if order.created_at + timedelta(days=30) <= now:  # released when its return window closed
            points_release_due(now=order.created_at + timedelta(days=30))


def _loyalty_order(customer, *, card_code: str) -> None:
    """An app order paid partly with points and the customer's gift card (through the checkout,
    which earns its points pending: x2 in the app, the first-app-order bonus, the tier)."""
    if Order.objects.filter(idempotency_key=LOYALTY_ORDER_KEY).exists():
        return
    channel = Channel.objects.filter(code="app").first()
    store = Location.objects.filter(code="waw-arkadia").first()
    if channel is None or store is None:
        return
    listed = ChannelListing.objects.filter(channel=channel, product__is_gift_card=False).values("product_id")
    priced = Price.objects.filter(currency="PLN", amount__gte=100, amount__lte=160).values("variant_id")
    variant_id = (
        StockLevel.objects.filter(
            location__kind=Location.Kind.WAREHOUSE,
            on_hand__gte=F("allocated") + 5,
            variant__product__in=listed,
            variant_id__in=priced,
        )
        .exclude(variant__product__category__slug__in=["buty-do-biegania", "kurtki", "skarpety"])
        .order_by("variant_id")
        .values_list("variant_id", flat=True)
        .first()
    )
    if variant_id is None:
        return
    order = order_place(
        channel=channel,
        lines={variant_id: 1},
        fulfilment_type="delivery",
        customer=customer,
        shipping_address={
            "street": "ul. Marszałkowska 104",
            "postal_code": "00-017",
            "city": "Warszawa",
            "latitude": 52.2319,
            "longitude": 21.0067,
        },
        points=300,
        gift_card_code=card_code,
        idempotency_key=LOYALTY_ORDER_KEY,
        fingerprint=LOYALTY_ORDER_KEY,
    )
    with contextlib.suppress(DomainError):
        order_payment_authorize(order_id=order.pk)  # what the worker does after checkout


def seed_customer_loyalty(report, *, promotions: dict[str, Promotion], now) -> None:
    """The demo customer's 360° card: an old store purchase whose points expire within days,
    points on their orders (spendable and pending), a goodwill bonus, the Srebrny tier, an app
    order paid with points and part of a gift card, a personal coupon, a gift card from an agent
    and store credit from a refund."""
    customer = demo_customer()
    User = get_user_model()
    agent = User.objects.filter(email="agent@omnishop.demo").first()
    if customer is None or agent is None:
        return
    before = PointsEntry.objects.filter(account__customer=customer).count()
    if not PointsLot.objects.filter(account__customer=customer, reference=OLD_RECEIPT).exists():
        # Bought in the Arkadia store a year ago: released after the return window, expires in 11 days.
        placed = now - timedelta(days=384)
        points_earn(
            customer=customer, points=640, reference=OLD_RECEIPT, channel_code="store",
            explanation=[{"rule": "1 pkt za każde 1 zł", "kind": "per_amount", "points": 640}],
            release_at=placed + timedelta(days=30), now=placed,
        )  # fmt: skip
        points_release_due(now=placed + timedelta(days=30))
    _earn_on_orders(customer, now=now)
    points_release_due(now=now)
    if not PointsEntry.objects.filter(account__customer=customer, reason=GOODWILL_REASON).exists():
        points_adjust(customer=customer, points=150, reason=GOODWILL_REASON, actor=agent)
    card = GiftCard.objects.filter(reference=SOLD_CARD_RECEIPT).first()
    if card is None:
        card, _code = giftcard_issue(
            amount=Decimal("250.00"), currency="PLN", actor=None, reference=SOLD_CARD_RECEIPT,
            customer=customer, channel_code="store",
        )  # fmt: skip
        report.add("gift_cards", 1)
    _loyalty_order(customer, card_code=card.code)
    if not Coupon.objects.filter(customer=customer, reason=COUPON_REASON).exists():
        coupon_give(
            customer=customer, promotion=promotions["apology"], reason=COUPON_REASON, actor=agent,
            expires_at=now + timedelta(days=60),
        )  # fmt: skip
        report.add("coupons", 1)
    if not GiftCard.objects.filter(customer=customer, reason=AGENT_CARD_REASON).exists():
        giftcard_issue(
            amount=Decimal("100.00"), currency="PLN", actor=agent, reason=AGENT_CARD_REASON, customer=customer
        )
        report.add("gift_cards", 1)
    if not StoreCreditEntry.objects.filter(account__customer=customer, reference=STORE_CREDIT_REFERENCE).exists():
        store_credit_grant(
            customer=customer, amount=Decimal("45.00"), currency="PLN", reason=STORE_CREDIT_REASON,
            reference=STORE_CREDIT_REFERENCE, source="refund", actor=agent,
        )  # fmt: skip
        report.add("store_credit", 1)
    report.add("points_entries", PointsEntry.objects.filter(account__customer=customer).count() - before)


def seed_loyalty(report) -> None:
    """The whole loyalty part of the demo (called by ``seed_demo`` after the orders)."""
    now = timezone.now()
    seed_tiers(report)
    seed_earning_rules(report, now=now)
    promotions = seed_promotions(report)
    seed_gift_card_product(report)
    seed_customer_loyalty(report, promotions=promotions, now=now)
    report.loyalty_coupon = PUBLIC_COUPON


def loyalty_totals() -> dict[str, int]:
    return {
        "tiers": Tier.objects.count(),
        "earning_rules": EarningRule.objects.count(),
        "promotions": Promotion.objects.count(),
        "coupons": Coupon.objects.count(),
        "loyalty_accounts": LoyaltyAccount.objects.count(),
        "points_entries": PointsEntry.objects.count(),
        "gift_cards": GiftCard.objects.count(),
        "store_credit": StoreCreditEntry.objects.count(),
    }
