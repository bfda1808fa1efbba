"""Coupons are never spent twice: real threads on PostgreSQL redeem at once from web, app and till."""

from decimal import Decimal

import pytest
from django.db import transaction

from conftest import postgres_max_parallel, run_in_threads
from loyalty.exceptions import CouponInvalid, CouponUsedUp
from loyalty.models import Coupon, CouponRedemption, Promotion
from loyalty.services.coupons import coupon_redeem

from .promotions_factories import CouponFactory, CustomerFactory, PromotionFactory

pytestmark = pytest.mark.django_db(transaction=True)
CHANNELS = ("web", "app", "till")


def _redeem(code, customer, reference, channel):
    with transaction.atomic():  # the caller's transaction, as checkout's
        return coupon_redeem(
            code=code,
            customer=customer,
            channel_code=channel,
            reference=reference,
            amount=Decimal("10.00"),
            currency="PLN",
        )


def _outcomes(results):
    won = [r for r in results if isinstance(r, CouponRedemption)]
    refused = [r for r in results if isinstance(r, CouponUsedUp | CouponInvalid)]
    assert len(won) + len(refused) == len(results), [r for r in results if isinstance(r, Exception)]
    return won, refused


def test_fifty_orders_one_single_use_code_one_wins():
    customer = CustomerFactory()
    coupon = CouponFactory(code="JEDEN", customer=customer, single_use=True)
    calls = [("jeden", customer, f"N{i:03d}", CHANNELS[i % 3]) for i in range(50)]
    won, refused = _outcomes(run_in_threads(_redeem, calls, workers=min(50, postgres_max_parallel())))
    assert len(won) == 1 and len(refused) == 49
    coupon.refresh_from_db()
    assert coupon.uses == 1
    assert CouponRedemption.objects.filter(coupon=coupon, released_at__isnull=True).count() == 1


def test_per_customer_limit_of_two_under_twenty_threads():
    customer = CustomerFactory()
    promotion = PromotionFactory(max_uses_per_customer=2)
    CouponFactory(code="DWA", promotion=promotion)
    calls = [("DWA", customer, f"N{i:03d}", CHANNELS[i % 3]) for i in range(20)]
    won, refused = _outcomes(run_in_threads(_redeem, calls, workers=min(20, postgres_max_parallel())))
    assert len(won) == 2 and all(isinstance(r, CouponUsedUp) for r in refused)
    promotion.refresh_from_db()
    assert promotion.uses == 2
    assert CouponRedemption.objects.filter(customer=customer).count() == 2


def test_global_limit_under_concurrency():
    promotion = PromotionFactory(max_uses=5)
    CouponFactory(code="PIEC", promotion=promotion)
    customers = [CustomerFactory() for _ in range(30)]
    calls = [("PIEC", c, f"N{i:03d}", CHANNELS[i % 3]) for i, c in enumerate(customers)]
    won, _refused = _outcomes(run_in_threads(_redeem, calls, workers=min(30, postgres_max_parallel())))
    assert len(won) == 5
    assert Promotion.objects.get(pk=promotion.pk).uses == 5
    assert Coupon.objects.get(code="PIEC").uses == 5


def test_one_statement_locks_the_promotion_before_the_coupon():
    """``coupon_with_promotion_lock`` keeps lock_objects' order (promotion, then coupon): while it
    waits for a coupon another transaction holds, it already holds the promotion."""
    import threading
    import time

    from django.db import DatabaseError, connection

    from loyalty.lock_objects import coupon_with_promotion_lock

    coupon = CouponFactory(code="KOLEJNOSC")
    held, release = threading.Event(), threading.Event()

    def hold_coupon():
        try:
            with transaction.atomic():
                list(Coupon.objects.select_for_update().filter(pk=coupon.pk))
                held.set()
                release.wait(10)
        finally:
            connection.close()

    def lock_both():
        try:
            with transaction.atomic():
                coupon_with_promotion_lock(code="KOLEJNOSC")
        finally:
            connection.close()

    holder, locker = threading.Thread(target=hold_coupon), threading.Thread(target=lock_both)
    holder.start()
    assert held.wait(10)
    locker.start()
    time.sleep(0.5)  # the locker now waits for the coupon
    try:
        with pytest.raises(DatabaseError), transaction.atomic():
            list(Promotion.objects.select_for_update(nowait=True).filter(pk=coupon.promotion_id))
    finally:
        release.set()
        holder.join(10)
        locker.join(10)
    assert not locker.is_alive()
