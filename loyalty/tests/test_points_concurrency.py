"""Many tills and apps spend one account's points at once: the account lock makes them queue,
the balance never goes below zero and the ledger still sums to it."""

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction

from conftest import postgres_max_parallel, run_in_threads
from customers.models import Customer
from loyalty.exceptions import InsufficientPoints
from loyalty.models import LoyaltyAccount, PointsEntry, PointsLot
from loyalty.services.points import points_adjust, points_redeem
from loyalty.services.points_customer import points_drift_list
from omnishop.accounts.tests.factories import UserFactory

THREADS = 32


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_overspend():
    agent = UserFactory(is_staff=True)
    agent.user_permissions.add(Permission.objects.get(codename="grant_points"))
    agent = type(agent).objects.get(pk=agent.pk)
    anna = Customer.objects.create(first_name="Anna", email="anna@example.pl")
    for _ in range(3):  # three lots: redemptions cross lot boundaries
        points_adjust(customer=anna, points=100, reason="seed", actor=agent)

    def redeem(i: int):
        with transaction.atomic():  # as checkout does: inside the caller's transaction
            return points_redeem(customer=anna, points=20, reference=f"OS-{i}", channel_code="app")

    workers = min(THREADS, postgres_max_parallel())
    results = run_in_threads(redeem, [(i,) for i in range(THREADS)], workers=workers)
    won = [r for r in results if isinstance(r, PointsEntry)]
    refused = [r for r in results if isinstance(r, InsufficientPoints)]
    assert len(won) == 15 and len(refused) == THREADS - 15, results
    account = LoyaltyAccount.objects.get(customer=anna)
    assert account.balance == 0
    assert sum(PointsEntry.objects.filter(account=account, affects="balance").values_list("points", flat=True)) == 0
    assert all(lot.remaining == 0 for lot in PointsLot.objects.filter(account=account))
    assert points_drift_list() == []
