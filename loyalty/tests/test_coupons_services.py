"""Coupon writes: redeem, release, bulk generation, the agent's personal coupon; the customer's list."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from catalog.models import Channel
from catalog.tests.factories import ChannelFactory
from loyalty.exceptions import CouponGiveRefused, CouponInvalid, CouponUsedUp
from loyalty.models import Coupon, CouponRedemption, Promotion
from loyalty.selectors.coupons import coupons_list_for_customer
from loyalty.services.coupons import (
    CODE_ALPHABET,
    coupon_give,
    coupon_redeem,
    coupon_redemptions_release,
    coupons_generate,
)
from omnishop.accounts.tests.factories import UserFactory
from omnishop.outbox.catalogue import event_payload_errors
from omnishop.outbox.models import OutboxEvent

from .promotions_factories import CouponFactory, CustomerFactory, PromotionFactory

pytestmark = pytest.mark.django_db
D = Decimal


def redeem(code, customer, reference="N1", channel="web", amount="10"):
    return coupon_redeem(
        code=code, customer=customer, channel_code=channel, reference=reference, amount=D(amount), currency="PLN"
    )


def _payloads_conform(type_):
    events = list(OutboxEvent.objects.filter(type=type_))
    assert events
    for e in events:
        assert event_payload_errors(e.type, e.version, e.payload) == []
    return events


def test_redeem_records_a_row_and_bumps_counters():
    anna = CustomerFactory()
    coupon = CouponFactory(code="LATO", single_use=True)
    redemption = redeem("lato", anna)
    assert (redemption.customer_id, redemption.promotion_id, redemption.amount) == (
        anna.pk,
        coupon.promotion_id,
        D("10"),
    )
    coupon.refresh_from_db()
    coupon.promotion.refresh_from_db()
    assert coupon.uses == 1 and coupon.promotion.uses == 1
    (event,) = _payloads_conform("loyalty.coupon_redeemed")
    assert event.payload["customer_id"] == anna.pk and "email" not in event.payload


def test_redeem_is_idempotent_per_reference():
    coupon = CouponFactory(code="IDEM", single_use=True)
    first = redeem("IDEM", None)
    assert redeem("IDEM", None).pk == first.pk
    coupon.refresh_from_db()
    assert coupon.uses == 1 and CouponRedemption.objects.count() == 1


def test_single_use_second_order_is_used_up():
    CouponFactory(code="ONCE", single_use=True)
    redeem("ONCE", None, reference="N1")
    with pytest.raises(CouponUsedUp) as excinfo:
        redeem("ONCE", None, reference="N2")
    assert excinfo.value.status_code == 409 and "already been used" in excinfo.value.errors["coupon_code"][0]


def test_a_refusal_leaves_the_callers_transaction_usable_unless_it_gave_up_the_savepoint():
    CouponFactory(code="RAZ", single_use=True)
    redeem("RAZ", None, reference="N1")
    with transaction.atomic():  # a caller that catches the refusal and goes on
        with pytest.raises(CouponUsedUp):
            redeem("RAZ", None, reference="N2")
        assert Coupon.objects.get(code="RAZ").uses == 1
    # savepoint=False (checkout's): the refusal ends the caller's whole transaction.
    with pytest.raises(TransactionManagementError), transaction.atomic():
        with pytest.raises(CouponUsedUp):
            coupon_redeem(
                code="RAZ",
                customer=None,
                channel_code="web",
                reference="N3",
                amount=D("10"),
                currency="PLN",
                savepoint=False,
            )
        Coupon.objects.count()
    assert CouponRedemption.objects.count() == 1


def test_release_lets_the_code_be_used_again_and_is_idempotent():
    coupon = CouponFactory(code="BACK", single_use=True)
    redeem("BACK", None, reference="N1")
    assert coupon_redemptions_release(reference="N1") == 1
    assert coupon_redemptions_release(reference="N1") == 0
    coupon.refresh_from_db()
    assert coupon.uses == 0
    assert CouponRedemption.objects.get(reference="N1").released_at is not None
    redeem("BACK", None, reference="N2")
    # the cancelled order's row stays; the same order may take the code again after its release
    coupon_redemptions_release(reference="N2")
    redeem("BACK", None, reference="N1")
    coupon.refresh_from_db()
    assert coupon.uses == 1 and CouponRedemption.objects.filter(released_at__isnull=True).count() == 1
    _payloads_conform("loyalty.coupon_released")


def test_limits_global_and_per_customer():
    anna, jan = CustomerFactory(), CustomerFactory()
    promotion = PromotionFactory(max_uses=3, max_uses_per_customer=2)
    CouponFactory(code="PUB", promotion=promotion)
    redeem("PUB", anna, "N1")
    redeem("PUB", anna, "N2")
    with pytest.raises(CouponUsedUp):
        redeem("PUB", anna, "N3")
    redeem("PUB", jan, "N4")
    with pytest.raises(CouponUsedUp):
        redeem("PUB", jan, "N5")  # the promotion's 3 uses are gone
    coupon_redemptions_release(reference="N1")
    redeem("PUB", jan, "N5")


def test_redeem_checks_owner_dates_and_channel():
    anna, jan = CustomerFactory(), CustomerFactory()
    ChannelFactory(code="till", kind=Channel.Kind.STORE)
    CouponFactory(code="ANNA", customer=anna, single_use=True)
    CouponFactory(code="OLD", expires_at=timezone.now() - timedelta(minutes=1))
    CouponFactory(code="STORE", promotion=PromotionFactory(channel_kinds=["store"]))
    with pytest.raises(CouponInvalid):
        redeem("ANNA", jan)
    with pytest.raises(CouponInvalid):
        redeem("OLD", anna)
    with pytest.raises(CouponInvalid):
        redeem("STORE", anna, channel="web")
    with pytest.raises(CouponInvalid):
        redeem("NOPE", anna)
    assert redeem("STORE", anna, channel="till")
    assert redeem("ANNA", anna)


def test_database_refuses_a_second_live_single_use_redemption():
    coupon = CouponFactory(code="DB", single_use=True)
    values = {"coupon": coupon, "promotion": coupon.promotion, "amount": D("1"), "currency": "PLN", "single_use": True}
    CouponRedemption.objects.create(reference="N1", **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        CouponRedemption.objects.create(reference="N2", **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.filter(pk=coupon.pk).update(uses=-1)


def test_codes_are_unique_whatever_the_case():
    CouponFactory(code="ABC")
    with pytest.raises(IntegrityError), transaction.atomic():
        CouponFactory(code="abc")


def test_generate_personal_codes():
    staff = UserFactory(is_staff=True)
    promotion = PromotionFactory()
    customers = [CustomerFactory() for _ in range(5)]
    coupons = coupons_generate(promotion=promotion, count=99, prefix="vip-", customers=customers, actor=staff)
    assert len(coupons) == 5 and {c.customer_id for c in coupons} == {c.pk for c in customers}
    for coupon in coupons:
        assert coupon.code.startswith("VIP-") and coupon.single_use
        assert set(coupon.code[4:]) <= set(CODE_ALPHABET) and len(coupon.code) == 14
    anonymous = coupons_generate(promotion=promotion, count=200, actor=staff)
    assert len({c.code for c in anonymous}) == 200 and all(c.customer_id is None for c in anonymous)
    assert LogEntry.objects.filter(object_id=str(promotion.pk)).count() == 2
    _payloads_conform("loyalty.coupons_generated")


def test_generate_survives_collisions(monkeypatch):
    import loyalty.services.coupons as services

    CouponFactory(code="AAAAAAAAAA")
    draws = iter("A" * 10 + "B" * 10 + "C" * 10)
    monkeypatch.setattr(services.secrets, "choice", lambda alphabet: next(draws))
    coupons = coupons_generate(promotion=PromotionFactory(), count=1, actor=None)
    assert coupons[0].code == "BBBBBBBBBB"


def test_give_needs_permission_and_reason_and_is_audited():
    anna = CustomerFactory()
    promotion = PromotionFactory(name="Przeprosiny")
    agent = UserFactory(is_staff=True)
    with pytest.raises(CouponGiveRefused):
        coupon_give(customer=anna, promotion=promotion, reason="Late parcel", actor=agent)
    agent.user_permissions.add(Permission.objects.get(codename="give_coupon"))
    agent = type(agent).objects.get(pk=agent.pk)
    with pytest.raises(CouponGiveRefused) as excinfo:
        coupon_give(customer=anna, promotion=promotion, reason="  ", actor=agent)
    assert "reason" in excinfo.value.errors
    with pytest.raises(CouponGiveRefused):
        coupon_give(customer=anna, promotion=PromotionFactory(automatic=True), reason="x", actor=agent)
    coupon = coupon_give(customer=anna, promotion=promotion, reason="Late parcel", actor=agent)
    assert (coupon.customer_id, coupon.single_use, coupon.reason, coupon.given_by_id) == (
        anna.pk,
        True,
        "Late parcel",
        agent.pk,
    )
    assert LogEntry.objects.filter(object_id=str(anna.pk), change_message__contains="Late parcel").exists()
    (event,) = _payloads_conform("loyalty.coupon_given")
    assert event.payload["customer_id"] == anna.pk


def test_my_coupons_lists_personal_and_public_with_remaining_uses():
    anna, jan = CustomerFactory(), CustomerFactory()
    mine = CouponFactory(code="MINE", customer=anna, single_use=True)
    CouponFactory(code="JANS", customer=jan, single_use=True)
    public = CouponFactory(code="ALL", promotion=PromotionFactory(max_uses_per_customer=3))
    CouponFactory(code="AUTO", promotion=PromotionFactory(automatic=True))
    CouponFactory(code="GOLD", promotion=PromotionFactory(target_tier_codes=["gold"]))
    CouponFactory(code="ENDED", promotion=PromotionFactory(valid_to=timezone.now() - timedelta(days=1)))
    CouponFactory(code="USED", customer=anna, single_use=True, uses=1)
    redeem("ALL", anna)
    got = {c.code: c.remaining_uses for c in coupons_list_for_customer(customer=anna)}
    assert got == {mine.code: 1, public.code: 2}
    assert "GOLD" in {c.code for c in coupons_list_for_customer(customer=anna, tier_code="gold")}
    assert "MINE" not in {c.code for c in coupons_list_for_customer(customer=jan)}


def test_my_coupons_queries_bounded(django_assert_num_queries):
    anna = CustomerFactory()
    for _ in range(10):
        CouponFactory(customer=anna, single_use=True)
    with django_assert_num_queries(2):
        assert len(coupons_list_for_customer(customer=anna)) == 10


def test_promotion_kinds_constraints():
    with pytest.raises(IntegrityError), transaction.atomic():
        PromotionFactory(kind=Promotion.Kind.PERCENT, value=D("120"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PromotionFactory(kind=Promotion.Kind.BUY_X_GET_Y, buy_quantity=0, get_quantity=1)


def test_a_redemption_is_written_with_its_counters_in_one_statement_after_the_locked_read(django_assert_num_queries):
    from omnishop.outbox.services import outbox_batch

    anna = CustomerFactory()
    coupon = CouponFactory(code="JEDEN", single_use=True)
    # the coupon and promotion locked, their state read, the row with both counters
    with transaction.atomic(), outbox_batch(), django_assert_num_queries(3):
        redemption = coupon_redeem(
            code="jeden",
            customer=anna,
            channel_code="web",
            reference="N1",
            amount=D("10"),
            currency="PLN",
            savepoint=False,
        )
    stored = CouponRedemption.objects.get(pk=redemption.pk)
    fields = [f.attname for f in CouponRedemption._meta.concrete_fields]
    assert [getattr(redemption, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert not redemption._state.adding and stored.created_at is not None
    coupon.refresh_from_db()
    coupon.promotion.refresh_from_db()
    assert coupon.uses == 1 and coupon.promotion.uses == 1
    assert redeem("jeden", anna, reference="N1") == stored  # the same order again: the same row
    with pytest.raises(CouponUsedUp):
        redeem("jeden", anna, reference="N2")
