"""The event catalogue pinned to what the services really emit: one run through catalog,
inventory and order flows produces every registered (type, version), and each payload conforms
to its schema. Orders is the top layer that emits events, so the run sits here."""

import re

import pytest
from django.contrib.auth.models import Group
from jsonschema import Draft202012Validator

from catalog.events import CatalogEvent
from catalog.models import Channel
from catalog.services import listing_publish, listing_unpublish
from catalog.tests.factories import ChannelFactory
from inventory.events import InventoryEvent
from inventory.services import location_update
from loyalty.events import CouponOutboxEvent, PointsEvent, WalletOutboxEvent
from omnishop.accounts.models import User
from omnishop.outbox.catalogue import event_catalogue, event_payload_errors, event_schema_get, event_types
from omnishop.outbox.models import OutboxEvent
from orders import lifecycle
from orders.events import OrderOutboxEvent
from orders.exceptions import RefundFailed
from orders.models import Order, OrderRefund
from orders.services import (
    Contact,
    TillPayment,
    fulfilment_line_short,
    fulfilment_transfer_receive,
    fulfilment_transfer_ship,
    order_cancel,
    order_hand_over,
    order_payment_authorize,
    order_payment_refund,
    order_picking_start,
    order_place,
    order_ready_for_pickup,
    order_refund_execute,
    order_transition,
    order_try_on_visit,
)
from orders.tests.conftest import ADDRESS, GUEST, stock

pytestmark = pytest.mark.django_db

# Every enum of outbox event types an app defines (an app adding one adds it here).
EVENT_ENUMS = [CatalogEvent, InventoryEvent, OrderOutboxEvent, WalletOutboxEvent, PointsEvent, CouponOutboxEvent]

PHONE = "+48601234567"
# Keys that would carry a secret or personal data: an event names ids and business keys only.
PERSONAL_KEY = re.compile(
    r"pickup_code|code_hash|e_?mail|phone|password|secret|token|address|street|postal|first_name|last_name"
    r"|customer_name|contact|iban|card",
    re.IGNORECASE,
)


def _card_delivery(shop, variant) -> Order:
    return order_place(
        channel=shop["web"],
        lines={variant.pk: 1},
        fulfilment_type="delivery",
        contact=GUEST,
        shipping_address=ADDRESS,
        payment_method="card",
    )


def _pickup(shop, variant, fulfilment_type="click_and_collect", **kwargs) -> Order:
    return order_place(
        channel=shop["app"],
        lines={variant.pk: 1},
        fulfilment_type=fulfilment_type,
        pickup_location=shop["waw"],
        contact=Contact(phone=PHONE, name="Gość"),
        **kwargs,
    )


@pytest.fixture
def everything_emitted(shop, provider) -> dict:
    """Catalog, stock, transfer and order flows run through the services; returns what must
    never appear in an event (the contacts, every pickup code issued)."""
    a, b, c = shop["variants"]
    waw, warehouse = shop["waw"], shop["warehouse"]
    seller = User.objects.create_user(email="sprzedawca@example.pl", password="x-pass-123", is_staff=True)
    seller.groups.add(Group.objects.get(name="Store staff"))
    waw.staff.add(seller)
    # A marketplace lists a: its figure goes out as channel_stock.changed when a's stock arrives.
    marketplace = ChannelFactory(code="allegro", kind=Channel.Kind.MARKETPLACE, api_key_required=True)
    listing_publish(product=a.product, channel=marketplace)
    stock(a, warehouse, 20)
    stock(b, warehouse, 5)
    stock(c, waw, 5)
    codes = []

    # A paid delivery, shipped and delivered.
    order = order_payment_authorize(order_id=_card_delivery(shop, a).pk)
    for to, role in (("processing", lifecycle.WAREHOUSE), ("shipped", lifecycle.WAREHOUSE)):
        order = order_transition(order=order, to=to, role=role)
    order_transition(order=order, to="completed", role=lifecycle.AGENT)
    # A paid delivery cancelled: the refund fails once, then goes through.
    order = order_payment_authorize(order_id=_card_delivery(shop, a).pk)
    order_cancel(order=order, role=lifecycle.AGENT)
    provider.refunds_fail = 1
    with pytest.raises(RefundFailed):
        order_payment_refund(order_id=order.pk)
    order_payment_refund(order_id=order.pk)
    # A declined card.
    provider.approve = False
    order_payment_authorize(order_id=_card_delivery(shop, a).pk)
    provider.approve = True
    # Click & collect from the warehouse: the transfer ships and arrives, the order is collected.
    order = order_payment_authorize(order_id=_pickup(shop, b, payment_method="card").pk)
    fulfilment = order.fulfilments.get()
    fulfilment_transfer_receive(fulfilment=fulfilment_transfer_ship(fulfilment=fulfilment))
    order = order_ready_for_pickup(order=Order.objects.get(pk=order.pk), actor=seller)
    codes.append(order.pickup_code)
    order_hand_over(order=order, code=order.pickup_code, actor=seller)
    # Click & collect from the store, one of two units refused at the counter: a part refund,
    # refused by the provider once, then done.
    order = order_payment_authorize(
        order_id=order_place(
            channel=shop["app"],
            lines={c.pk: 2},
            fulfilment_type="click_and_collect",
            pickup_location=waw,
            contact=Contact(phone=PHONE, name="Gość"),
            payment_method="card",
        ).pk
    )
    order = order_ready_for_pickup(order=order_picking_start(order=order, actor=seller), actor=seller)
    codes.append(order.pickup_code)
    line = order.lines.get()
    order_hand_over(order=order, code=order.pickup_code, refused={line.pk: 1}, collector_name="Jan Nowak", actor=seller)
    refund = OrderRefund.objects.get(order=order)
    provider.refunds_fail = 1
    with pytest.raises(RefundFailed):
        order_refund_execute(refund_id=refund.pk)
    order_refund_execute(refund_id=refund.pk)
    # Reserve & try, paid at the till.
    order = _pickup(shop, c, fulfilment_type="ropis", payment_method="pay_in_store")
    order = order_transition(order=order, to="confirmed", role=lifecycle.SYSTEM)
    order = order_ready_for_pickup(order=order_picking_start(order=order, actor=seller), actor=seller)
    codes.append(order.pickup_code)
    order_try_on_visit(
        order=order, code=order.pickup_code, till=TillPayment(method="cash", receipt_number="W1/0042"), actor=seller
    )
    # Click & collect cancelled while its transfer waits: the transfer is called off.
    order_cancel(order=_pickup(shop, b, payment_method="card"), role=lifecycle.AGENT)
    # Two units of c to collect, one missing and nowhere else: that unit is cancelled.
    order = order_place(
        channel=shop["app"],
        lines={c.pk: 2},
        fulfilment_type="click_and_collect",
        pickup_location=waw,
        contact=Contact(phone=PHONE, name="Gość"),
        payment_method="pay_in_store",
    )
    order = order_transition(order=order, to="confirmed", role=lifecycle.SYSTEM)
    line = order.fulfilments.get().lines.get()
    fulfilment_line_short(line=line, quantity=1, reason="missing", actor=seller)

    listing_unpublish(product=a.product, channel=shop["b2b"])
    location_update(location=waw, changes={"ring_fence": 2})
    assert all(codes)
    gift_code = _wallet_flows()
    coupon_codes = _points_and_coupon_flows(shop)
    return {
        "secrets": [
            GUEST.email,
            PHONE,
            PHONE.removeprefix("+48"),
            *codes,
            gift_code,
            gift_code.replace("-", ""),
            *coupon_codes,
        ]
    }


def _wallet_flows() -> str:
    """Loyalty's wallets: a gift card issued, spent, refunded, blocked, another expired; store
    credit granted, spent and refunded. Returns the card's full code (it must never be emitted)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db import transaction

    from customers.models import Customer
    from loyalty.services.giftcards import (
        giftcard_block,
        giftcard_issue,
        giftcard_refund,
        giftcard_spend,
        giftcards_expire_due,
    )
    from loyalty.services.store_credit import store_credit_grant, store_credit_refund, store_credit_spend

    owner = Customer.objects.create(first_name="Ewa", email="ewa.wallet@example.pl")
    card, code = giftcard_issue(amount=Decimal("50.00"), currency="PLN", actor=None, reference="OS-W1", customer=owner)
    with transaction.atomic():
        giftcard_spend(code=code, amount=Decimal("20.00"), currency="PLN", reference="OS-W2", channel_code="store")
    giftcard_refund(reference="OS-W2")
    giftcard_block(card=card, actor=None, reason="Lost")
    lapsing, _code = giftcard_issue(amount=Decimal("5.00"), currency="PLN", actor=None, reason="Goodwill")
    giftcards_expire_due(now=lapsing.expires_at + timedelta(seconds=1))
    store_credit_grant(customer=owner, amount=Decimal("30.00"), currency="PLN", reason="Return", source="refund")
    with transaction.atomic():
        store_credit_spend(
            customer=owner, amount=Decimal("10.00"), currency="PLN", reference="OS-W3", channel_code="web"
        )
    store_credit_refund(reference="OS-W3")
    return code


def _points_and_coupon_flows(shop) -> list[str]:
    """Loyalty's points (earned, a tier reached, released, redeemed, reversed, adjusted, expired)
    and coupons (redeemed, released, given by an agent, generated in bulk). Returns the codes
    given and generated (personal codes are secrets of their customers: never emitted)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from customers.models import Customer
    from loyalty.models import Coupon, Promotion, Tier
    from loyalty.services.coupons import coupon_give, coupon_redeem, coupon_redemptions_release, coupons_generate
    from loyalty.services.points import (
        points_adjust,
        points_earn,
        points_expire_due,
        points_order_reverse,
        points_redeem,
        points_release_due,
    )

    admin = User.objects.create_superuser(email="admin.loyalty@example.pl", password="x-pass-123")
    anna = Customer.objects.create(first_name="Anna", email="anna.points@example.pl")
    Tier.objects.create(code="silver", name="Srebrny", threshold=50)
    now = timezone.now()
    points_earn(customer=anna, points=100, reference="OS-P1", channel_code="store", explanation=[])
    points_release_due(now=now + timedelta(days=400))
    points_redeem(customer=anna, points=30, reference="OS-P2", channel_code="app")
    points_order_reverse(reference="OS-P2")
    points_adjust(customer=anna, points=5, reason="Goodwill", actor=admin)
    points_expire_due(now=now + timedelta(days=2000))

    promotion = Promotion.objects.create(name="Kupon 10 zł", kind="fixed", value=Decimal("10"))
    Coupon.objects.create(code="CATALOGUE10", promotion=promotion)
    coupon_redeem(
        code="CATALOGUE10",
        customer=anna,
        channel_code="web",
        reference="OS-P3",
        amount=Decimal("10.00"),
        currency="PLN",
    )
    coupon_redemptions_release(reference="OS-P3")
    given = coupon_give(customer=anna, promotion=promotion, reason="Delayed parcel", actor=admin)
    generated = coupons_generate(promotion=promotion, count=2, customers=[anna], actor=admin)
    return [given.code, *(c.code for c in generated)]


def test_every_enum_member_has_a_schema_and_every_schema_an_enum_member():
    members = {member.value for enum in EVENT_ENUMS for member in enum}
    assert members == set(event_types())


def test_every_schema_is_valid_draft_2020_12_and_pins_every_key():
    for entry in event_catalogue():
        Draft202012Validator.check_schema(entry.schema)
        assert entry.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert entry.description and entry.aggregate and entry.version >= 1
        for node in _objects(entry.schema):
            assert node["required"] == list(node["properties"]), entry.type
            assert node["additionalProperties"] is False, entry.type


def test_every_registered_event_is_emitted_by_the_services_and_matches_its_schema(everything_emitted):
    events = list(OutboxEvent.objects.order_by("created_at", "id"))
    emitted = {(e.type, e.version) for e in events}
    registered = {(entry.type, entry.version) for entry in event_catalogue()}
    assert emitted == registered, {"not emitted": registered - emitted, "not registered": emitted - registered}
    for event in events:
        assert event.aggregate_type == event_schema_get(event.type, event.version).aggregate, event.type
        assert event_payload_errors(event.type, event.version, event.payload) == [], (event.type, event.payload)
    for event in (e for e in events if e.type.startswith("order.")):
        assert event.payload["number"] == event.aggregate_id
        assert event.payload["channel"] == Order.objects.get(number=event.aggregate_id).channel.code


def test_a_drifting_payload_fails_its_schema():
    payload = {"product_id": 1, "channel": "web"}
    assert event_payload_errors("listing.unpublished", 1, payload) == []
    assert event_payload_errors("listing.unpublished", 1, payload | {"email": "x@example.pl"})
    assert event_payload_errors("listing.unpublished", 1, {"product_id": 1})
    assert event_payload_errors("listing.unpublished", 1, {"product_id": "1", "channel": "web"})
    changed = {"variant_id": 1, "sku": "A", "currency": "PLN", "old_amount": None, "new_amount": "1.50", "reason": ""}
    assert event_payload_errors("price.changed", 1, changed | {"changed_at": "2026-05-01T10:00:00+00:00"}) == []
    assert event_payload_errors("price.changed", 1, changed | {"changed_at": "1 May"})
    assert event_payload_errors(
        "price.changed", 1, changed | {"changed_at": "2026-05-01T10:00:00+00:00", "new_amount": 1.5}
    )
    with pytest.raises(LookupError):
        event_payload_errors("order.pickup_code_issued", 1, {})


def test_no_schema_and_no_emitted_payload_carries_secrets_or_personal_data(everything_emitted):
    for entry in event_catalogue():
        keys = [key for node in _objects(entry.schema) for key in node["properties"]]
        assert not [k for k in keys if PERSONAL_KEY.search(k)], entry.type
    events = list(OutboxEvent.objects.all())
    assert events
    for event in events:
        keys = list(_keys(event.payload))
        assert not [k for k in keys if PERSONAL_KEY.search(k)], (event.type, keys)
        text = str(event.payload)
        assert not [s for s in everything_emitted["secrets"] if s in text], (event.type, event.payload)


def _objects(schema):
    """Every object schema inside ``schema`` (itself included)."""
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            yield schema
        for value in schema.values():
            yield from _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _objects(value)


def _keys(payload):
    if isinstance(payload, dict):
        for key, value in payload.items():
            yield key
            yield from _keys(value)
    elif isinstance(payload, list):
        for value in payload:
            yield from _keys(value)
