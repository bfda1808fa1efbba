"""Store staff read the stock and transfers of the stores they work at only; another
store's row is not listed and its page is a 404. Inventory managers see every location's."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from catalog.tests.factories import VariantFactory
from inventory.models import StockLevel, Transfer
from inventory.services import stock_receive, transfer_request
from inventory.tests.factories import LocationFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores():
    wh, own, other = WarehouseFactory(code="wh-1"), LocationFactory(code="waw-01"), LocationFactory(code="krk-01")
    variant = VariantFactory(sku="KR-A")
    for location in (wh, own, other):
        stock_receive(variant=variant, location=location, quantity=5)
    inbound = transfer_request(source=wh, destination=own, lines={variant.pk: 1})
    elsewhere = transfer_request(source=wh, destination=other, lines={variant.pk: 1})
    return {"wh": wh, "own": own, "other": other, "variant": variant, "inbound": inbound, "elsewhere": elsewhere}


def login(client, django_user_model, role: str, *, works_at=()):
    user = django_user_model.objects.create_user(email=f"{len(role)}@example.pl", password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    for location in works_at:
        location.staff.add(user)
    client.force_login(user)
    return user


def listed(client, name: str) -> set[int]:
    response = client.get(reverse(f"admin:{name}"))
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def test_store_staff_see_their_stores_stock_and_transfers_only(client, django_user_model, stores):
    login(client, django_user_model, "Store staff", works_at=[stores["own"]])
    own_level = StockLevel.objects.get(location=stores["own"])
    other_level = StockLevel.objects.get(location=stores["other"])
    assert listed(client, "inventory_stocklevel_changelist") == {own_level.pk}
    assert listed(client, "inventory_transfer_changelist") == {stores["inbound"].pk}
    assert client.get(reverse("admin:inventory_stocklevel_change", args=[own_level.pk])).status_code == 200
    # Another store's rows are not there at all, as in the console.
    for name, pk in (
        ("inventory_stocklevel_change", other_level.pk),
        ("inventory_transfer_change", stores["elsewhere"].pk),
    ):
        response = client.get(reverse(f"admin:{name}", args=[pk]))
        assert response.status_code == 302 and response.url == reverse("admin:index")  # Django admin's "not found"


def test_store_staff_at_no_store_see_no_stock(client, django_user_model, stores):
    login(client, django_user_model, "Store staff")
    assert listed(client, "inventory_stocklevel_changelist") == set()
    assert listed(client, "inventory_transfer_changelist") == set()


def test_inventory_managers_see_every_location(client, django_user_model, stores):
    login(client, django_user_model, "Inventory manager", works_at=[stores["own"]])
    assert listed(client, "inventory_stocklevel_changelist") == set(StockLevel.objects.values_list("pk", flat=True))
    assert listed(client, "inventory_transfer_changelist") == set(Transfer.objects.values_list("pk", flat=True))
