"""The stock list: product, SKU, location and the figures (on hand, allocated, held, available),
found by product name, SKU or EAN, narrowed to low stock, exported to CSV; its query count
holds as rows triple."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.tests.factories import ProductFactory, VariantFactory
from inventory.models import StockLevel
from inventory.services import StockLine, stock_allocate, stock_hold_place, stock_receive, stock_safety_stock_set
from inventory.tests.factories import LocationFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

LIST = reverse("admin:inventory_stocklevel_changelist")
EXPORT = reverse("admin:inventory_stocklevel_export")


def login(client, django_user_model, role="Inventory manager", *, works_at=()):
    user = django_user_model.objects.create_user(email=f"{role[:4]}@example.pl", password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    for location in works_at:
        location.staff.add(user)
    client.force_login(user)
    return user


@pytest.fixture
def boots():
    """Boots at the warehouse: 10 on hand, 3 allocated, 2 held, safety stock 1 → 4 available."""
    wh, store = WarehouseFactory(code="wh-1", name="Stryków"), LocationFactory(code="waw-01")
    variant = VariantFactory(sku="BOOT-42", ean="5901234123457", product=ProductFactory(name="Trzewiki zimowe"))
    stock_receive(variant=variant, location=wh, quantity=10)
    stock_receive(variant=variant, location=store, quantity=1)
    stock_allocate(lines=[StockLine(variant.pk, wh.pk, 3)], reference="order:OS-1", online=False)
    stock_hold_place(
        lines=[StockLine(variant.pk, wh.pk, 2)], kind="cart", reference="cart:1", ttl=timedelta(hours=1), online=False
    )
    stock_safety_stock_set(level=StockLevel.objects.get(variant=variant, location=wh), safety_stock=1)
    return {"wh": wh, "store": store, "variant": variant}


def shown(response) -> list[StockLevel]:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_the_list_shows_product_sku_and_available(client, django_user_model, boots):
    login(client, django_user_model)
    response = client.get(LIST + f"?location__id__exact={boots['wh'].pk}")
    (row,) = shown(response)
    assert (row.on_hand, row.allocated, row.held, row.safety_stock, row.available) == (10, 3, 2, 1, 4)
    page = response.content.decode()
    for text in ("Trzewiki zimowe", "BOOT-42", "<th", "Available", "Held"):
        assert text in page


@pytest.mark.parametrize("query", ["trzewiki", "BOOT-42", "5901234123457"])
def test_search_by_product_name_sku_or_ean(client, django_user_model, boots, query):
    VariantFactory(sku="OTHER-1", product=ProductFactory(name="Sandały"))
    stock_receive(variant=VariantFactory(sku="OTHER-2"), location=boots["wh"], quantity=4)
    login(client, django_user_model)
    assert {r.variant_id for r in shown(client.get(LIST, {"q": query}))} == {boots["variant"].pk}


def test_the_low_stock_filter(client, django_user_model, boots, settings):
    settings.OMNISHOP_LOW_STOCK_THRESHOLD = 4
    plenty = VariantFactory(sku="PLENTY")
    stock_receive(variant=plenty, location=boots["wh"], quantity=50)
    store_row = StockLevel.objects.get(variant=boots["variant"], location=boots["store"])
    stock_safety_stock_set(level=store_row, safety_stock=1)  # its one unit is kept back: 0 available
    login(client, django_user_model)
    codes = lambda value: {(r.variant.sku, r.location.code) for r in shown(client.get(LIST, {"low": value}))}  # noqa: E731
    assert codes("threshold") == {("BOOT-42", "wh-1"), ("BOOT-42", "waw-01")}  # 4 and 0 available, not 50
    assert codes("safety") == {("BOOT-42", "waw-01")}  # the warehouse's 4 are above its safety stock of 1
    assert codes("out") == {("BOOT-42", "waw-01")}
    page = client.get(LIST).content.decode()
    assert "By low stock" in page and "Available at most 4" in page


def test_the_csv_export_follows_the_filter_and_the_figures(client, django_user_model, boots):
    login(client, django_user_model)
    response = client.get(EXPORT + f"?q=BOOT-42&location__id__exact={boots['wh'].pk}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    (row,) = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    assert row["product"] == "Trzewiki zimowe" and row["SKU"] == "BOOT-42" and row["location"] == "wh-1"
    assert (row["on hand"], row["allocated"], row["held"], row["available"], row["safety stock"]) == (
        "10",
        "3",
        "2",
        "4",
        "1",
    )


def test_store_staff_export_their_stores_stock_only(client, django_user_model, boots):
    login(client, django_user_model, "Store staff", works_at=[boots["store"]])
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert [r["location"] for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))] == ["waw-01"]


def _grow(locations, n):
    for i in range(n):
        variant = VariantFactory(product=ProductFactory())
        for location in locations:
            stock_receive(variant=variant, location=location, quantity=i + 1)


def test_list_and_export_query_counts_hold_as_rows_triple(client, django_user_model):
    locations = [WarehouseFactory(), LocationFactory()]
    _grow(locations, 2)
    login(client, django_user_model)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as page:
            rows = shown(client.get(LIST))
        with CaptureQueriesContext(connection) as export:
            assert client.get(EXPORT).status_code == 200
        counts.append((len(rows), len(page), len(export)))
        _grow(locations, 4)  # 4 rows → 12 rows
    (few, *small), (many, *large) = counts
    assert (few, many) == (4, 12)
    assert small == large


def test_the_list_counts_its_rows_in_correct_polish(client, django_user_model, boots):
    for _i in range(3):
        stock_receive(variant=VariantFactory(), location=boots["wh"], quantity=1)
    login(client, django_user_model)
    page = client.get(LIST, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    # Five rows: "5 wyników", not Django's "5 stany magazynowe".
    assert re.search(r'<p class="paginator">\s*5 wyników', page), page[page.find("paginator") - 20 :][:200]
