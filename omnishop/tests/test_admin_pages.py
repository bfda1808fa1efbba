"""Every admin changelist, add and change page loads; list pages keep their query count."""

from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from catalog.models import Price, PriceHistory, Variant
from catalog.services import listing_publish, price_set
from catalog.tests.factories import ChannelFactory, ProductFactory, VariantFactory
from customers.models import Company, CompanyMembership, Customer
from customers.services import customer_data_export
from inventory.models import Location
from inventory.services import (
    StockLine,
    StockSyncRow,
    stock_allocate,
    stock_hold_place,
    stock_receive,
    stock_sync_apply,
    transfer_request,
)
from inventory.tests.factories import WarehouseFactory
from loyalty.models import Coupon, Promotion
from loyalty.services.coupons import coupon_redeem
from omnishop.accounts.models import User
from omnishop.accounts.services import login_failure_record
from omnishop.apikeys.models import ChannelAPIKey
from omnishop.apikeys.services import apikey_create
from omnishop.outbox.services import outbox_emit
from omnishop.webhooks.services import subscription_create, subscription_test_send
from orders.services import Contact, cart_create_anonymous, cart_line_set, order_place


def seed(n: int = 2):
    channel = ChannelFactory(code="web")
    for i in range(n):
        product = ProductFactory()
        for _ in range(2):
            price_set(variant=VariantFactory(product=product), amount=Decimal("10.00") + i)
        listing_publish(product=product, channel=channel, published_from=timezone.now() - timedelta(days=1))
        Location.objects.create(
            code=f"store-{product.pk}",
            name=f"Store {product.pk}",
            kind="store",
            city="Kraków",
            latitude=Decimal("50.061947"),
            longitude=Decimal("19.936856"),
        )
        buyer = Customer.objects.create(
            first_name="Jan", last_name=f"Nowak {product.pk}", email=f"jan{product.pk}@example.pl"
        )
        company = Company.objects.create(name=f"Firma {product.pk}", tax_id=f"525{product.pk:07d}")
        CompanyMembership.objects.create(company=company, customer=buyer)
        customer_data_export(customer=buyer, actor=User.objects.filter(is_staff=True).first())
        # loyalty: a promotion, a personal coupon of the buyer, its redemption
        promotion = Promotion.objects.create(name=f"Promotion {product.pk}", value=Decimal("10"))
        coupon = Coupon.objects.create(code=f"SEED-{product.pk}", promotion=promotion, customer=buyer, single_use=True)
        coupon_redeem(
            code=coupon.code, customer=buyer, channel_code="web", reference=f"S-{product.pk}", amount=Decimal("1"),
            currency="PLN",
        )  # fmt: skip
    apikey_create(channel=channel, name="ERP")
    hooks = subscription_create(name=f"ERP hooks {n}", url="https://erp.example.pl/in", event_types=["*"])
    for _ in range(n):
        subscription_test_send(subscription=hooks)
    stock_rows(n)
    login = User.objects.create_user(email=f"customer{n}@example.pl", password="x-pass-123")
    EmailAddress.objects.create(user=login, email=login.email, verified=True, primary=True)
    login_failure_record(login=login.email, address="198.51.100.1")
    with transaction.atomic():
        outbox_emit(type="demo.seeded", aggregate_type="demo", aggregate_id=n, payload={"n": n})
    loyalty_points_rows(n)


def loyalty_points_rows(n: int) -> None:
    """Loyalty's points: a tier, an earning rule, and accounts with a ledger."""
    from loyalty.models import EarningRule, Tier
    from loyalty.services.points import points_earn

    Tier.objects.get_or_create(code="silver", defaults={"name": "Silver", "threshold": 500})
    EarningRule.objects.create(name=f"1 pt / PLN {n}", kind="per_amount", points_per_unit=Decimal("1"))
    for customer in Customer.objects.order_by("-pk")[:n]:
        points_earn(customer=customer, points=10, reference=f"seed-{n}", channel_code="web", explanation=[])


def stock_rows(n: int) -> None:
    variant = Variant.objects.first()
    store, warehouse = Location.objects.filter(kind="store")[:1].get(), WarehouseFactory(code=f"wh-seed-{n}")
    stock_receive(variant=variant, location=warehouse, quantity=10)
    stock_allocate(lines=[StockLine(variant.pk, warehouse.pk, 1)], reference=f"order:{n}")
    stock_hold_place(
        lines=[StockLine(variant.pk, warehouse.pk, 1)], kind="cart", reference=f"cart:{n}", ttl=timedelta(hours=1)
    )
    transfer_request(source=warehouse, destination=store, lines={variant.pk: 2})
    stock_sync_apply(
        sync_id=f"seed-{n}",
        mode="delta",
        rows=[StockSyncRow(warehouse.code, variant.sku, 1), StockSyncRow(warehouse.code, "NOPE", 1)],
        error_policy="reject_failed",
    )
    channel = ChannelFactory(code="web")
    listing_publish(product=variant.product, channel=channel, published_from=timezone.now() - timedelta(days=1))
    order_place(
        channel=channel,
        lines={variant.pk: 1},
        fulfilment_type="delivery",
        contact=Contact(email="o@example.pl"),
        shipping_address={"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"},
    )
    cart = cart_create_anonymous(channel=channel)
    cart_line_set(cart=cart, variant=variant, quantity=1)
    till_sale(store, variant, n)
    wallets_seed(n)
    beat_schedule()


def wallets_seed(n: int) -> None:
    """Loyalty's wallets: a gift card spent from, and store credit, per customer."""
    from loyalty.services.giftcards import giftcard_issue, giftcard_spend
    from loyalty.services.store_credit import store_credit_grant

    for customer in Customer.objects.filter(gift_cards__isnull=True).order_by("pk"):
        _card, code = giftcard_issue(
            amount=Decimal("50.00"), currency="PLN", actor=None, reason="seed", customer=customer
        )
        with transaction.atomic():
            giftcard_spend(code=code, amount=Decimal("5.00"), currency="PLN", reference=f"seed-{n}", channel_code="web")
        store_credit_grant(customer=customer, amount=Decimal("10.00"), currency="PLN", reason="seed")


def till_sale(store, variant, n: int) -> None:
    """A receipt a store's till reported (the till sales admin lists them)."""
    from orders.services import TillLine, TillSalePayment, TillSaleRequest, till_sale_record

    till_sale_record(
        channel=ChannelFactory(code="store", kind="store"),
        data=TillSaleRequest(
            store=store.code,
            receipt_number=f"seed-{n}",
            sold_at=timezone.now(),
            lines=(TillLine(sku=variant.sku, quantity=1, unit_price=Decimal("10.00")),),
            payments=(TillSalePayment(method="cash", amount=Decimal("10.00")),),
        ),
    )


def beat_schedule():
    """What beat writes when it starts, plus one schedule of each other kind (the admin lists them)."""
    from django_celery_beat.models import ClockedSchedule, CrontabSchedule, PeriodicTask, SolarSchedule
    from django_celery_beat.schedulers import ModelEntry

    from omnishop.celery import app

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        ModelEntry.from_entry(name, app=app, **entry)
    assert PeriodicTask.objects.filter(crontab__isnull=False).exists()
    ClockedSchedule.objects.get_or_create(clocked_time=timezone.now().replace(microsecond=0) + timedelta(days=1))
    SolarSchedule.objects.get_or_create(event="sunrise", latitude=Decimal("52.23"), longitude=Decimal("21.01"))
    CrontabSchedule.objects.get_or_create(minute="0", hour="4")


def model_urls():
    for model, _model_admin in admin.site._registry.items():
        meta = model._meta
        yield model, f"admin:{meta.app_label}_{meta.model_name}"


@pytest.fixture
def admin_client_seeded(admin_client):
    seed()
    return admin_client


@pytest.mark.django_db
def test_every_changelist_add_and_change_page_loads(admin_client_seeded):
    client = admin_client_seeded
    checked = 0
    for model, name in model_urls():
        assert client.get(reverse(f"{name}_changelist")).status_code == 200, name
        assert client.get(reverse(f"{name}_changelist"), {"q": "a"}).status_code == 200, name
        model_admin = admin.site._registry[model]
        add = client.get(reverse(f"{name}_add"))
        assert add.status_code == (200 if model_admin.has_add_permission(add.wsgi_request) else 403), name
        obj = model._default_manager.first()
        assert obj is not None, f"no {name} row to open"
        assert client.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200, name
        checked += 1
    assert checked >= 12


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "catalog_product",
        "catalog_variant",
        "catalog_price",
        "catalog_pricehistory",
        "catalog_channellisting",
        "catalog_brand",
        "inventory_location",
        "customers_customer",
        "apikeys_channelapikey",
        "inventory_stocklevel",
        "inventory_stockmovement",
        "inventory_allocation",
        "inventory_transfer",
        "outbox_outboxevent",
        "orders_order",
        "orders_cart",
        "orders_fulfilment",
        "accounts_loginlockout",
        "django_celery_beat_periodictask",
        "webhooks_webhooksubscription",
        "webhooks_webhookdelivery",
        "loyalty_promotion",
        "loyalty_coupon",
        "loyalty_couponredemption",
        "loyalty_loyaltyaccount",
        "loyalty_pointsentry",
        "loyalty_earningrule",
        "loyalty_giftcard",
        "loyalty_storecreditaccount",
    ],
)
def test_changelist_query_count_does_not_grow_with_rows(admin_client, name, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse(f"admin:{name}_changelist")
    seed(3)
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(url).status_code == 200
    seed_more = 9
    for _ in range(seed_more):
        product = ProductFactory()
        price_set(variant=VariantFactory(product=product), amount=Decimal("5.00"))
        listing_publish(product=product, channel=ChannelFactory(code="web"))
        Customer.objects.create(first_name="Anna", email=f"anna{product.pk}@example.pl")
        Location.objects.create(
            code=f"wh-{product.pk}", name="WH", kind="warehouse", city="Stryków", latitude=51, longitude=19
        )
    apikey_create(channel=ChannelFactory(code="web"), name="second")
    stock_rows(99)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert admin_client.get(url).status_code == 200


@pytest.mark.django_db
def test_price_change_in_admin_goes_through_the_service(admin_client, admin_user):
    variant = VariantFactory()
    price = price_set(variant=variant, amount=Decimal("100.00"))
    url = reverse("admin:catalog_price_change", args=[price.pk])
    response = admin_client.post(url, {"amount": "89.99", "reason": "Weekend promo"})
    assert response.status_code == 302
    price.refresh_from_db()
    assert price.amount == Decimal("89.99") and price.updated_by == admin_user
    latest = PriceHistory.objects.filter(variant=variant).first()
    assert (latest.old_amount, latest.new_amount, latest.reason, latest.changed_by) == (
        Decimal("100.00"),
        Decimal("89.99"),
        "Weekend promo",
        admin_user,
    )


@pytest.mark.django_db
def test_price_inline_on_variant_writes_history(admin_client, admin_user):
    variant = VariantFactory()
    price = price_set(variant=variant, amount=Decimal("50.00"))
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    data = {
        "product": variant.product_id,
        "sku": variant.sku,
        "ean": variant.ean,
        "name": "",
        "size": variant.size,
        "colour": variant.colour,
        "attributes": "{}",
        "position": 0,
        "is_active": "on",
        "prices-TOTAL_FORMS": 2,
        "prices-INITIAL_FORMS": 1,
        "prices-MIN_NUM_FORMS": 0,
        "prices-MAX_NUM_FORMS": 1000,
        "prices-0-id": price.pk,
        "prices-0-variant": variant.pk,
        "prices-0-currency": "PLN",
        "prices-0-amount": "45.00",
        "prices-1-variant": variant.pk,
        "prices-1-currency": "EUR",
        "prices-1-amount": "11.00",
        "price_history-TOTAL_FORMS": 0,
        "price_history-INITIAL_FORMS": 0,
        "price_history-MIN_NUM_FORMS": 0,
        "price_history-MAX_NUM_FORMS": 0,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert dict(Price.objects.filter(variant=variant).values_list("currency", "amount")) == {
        "PLN": Decimal("45.00"),
        "EUR": Decimal("11.00"),
    }
    assert PriceHistory.objects.filter(variant=variant, changed_by=admin_user).count() == 2


@pytest.mark.django_db
def test_api_key_created_in_admin_is_shown_once_and_stored_hashed(admin_client):
    channel = ChannelFactory(code="allegro", kind="marketplace", api_key_required=True)
    response = admin_client.post(
        reverse("admin:apikeys_channelapikey_add"), {"name": "Allegro sync", "channel": channel.pk}, follow=True
    )
    assert response.status_code == 200
    key_row = ChannelAPIKey.objects.get(name="Allegro sync")
    message = next(str(m) for m in response.context["messages"])
    plain = message.split(": ", 1)[1].split(". Store", 1)[0].strip()
    assert plain.startswith(key_row.prefix + ".")
    assert ChannelAPIKey.objects.get_from_key(plain) == key_row
    # The plain key is never stored.
    assert plain not in str(ChannelAPIKey.objects.filter(pk=key_row.pk).values().get())


@pytest.mark.django_db
def test_merchandiser_can_reach_catalog_but_not_api_keys(client, django_user_model):
    merch = django_user_model.objects.create_user(email="merch@example.pl", password="x-pass-123", is_staff=True)
    merch.groups.add(Group.objects.get(name="Merchandiser"))
    client.force_login(merch)
    assert client.get(reverse("admin:catalog_product_changelist")).status_code == 200
    assert client.get(reverse("admin:catalog_price_changelist")).status_code == 200
    assert client.get(reverse("admin:apikeys_channelapikey_changelist")).status_code == 403


@pytest.mark.django_db
def test_agent_places_an_order_for_a_customer_in_admin(admin_client, admin_user):
    seed(1)
    call_centre = ChannelFactory(code="call-centre", kind="call_centre")
    variant = Variant.objects.filter(stock_levels__on_hand__gt=2).first()
    listing_publish(product=variant.product, channel=call_centre)
    customer = Customer.objects.first()
    url = reverse("admin:orders_order_place")
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "channel": call_centre.pk,
            "customer": customer.pk,
            "lines": f"{variant.sku} 1\n",
            "fulfilment_type": "delivery",
            "street": "Długa 1",
            "postal_code": "80-001",
            "city": "Gdańsk",
            "payment_method": "transfer",
            "idempotency_key": "k-1",
            "step": "confirm",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    from orders.models import Order

    order = Order.objects.get(channel=call_centre)
    assert (order.customer, order.placed_by) == (customer, admin_user)
    bad = admin_client.post(
        url,
        {
            "channel": call_centre.pk,
            "customer": customer.pk,
            "lines": "NOPE 1",
            "fulfilment_type": "delivery",
            "payment_method": "card",
            "idempotency_key": "k-2",
            "step": "confirm",
        },
    )
    assert bad.status_code == 200 and "Unknown SKU NOPE" in bad.content.decode()
